from __future__ import annotations

import pytest

from acs_identity_emulator.testing import running_emulator

from .hmac_client import RawClient


@pytest.fixture(scope="session")
def emulator():
    with running_emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean_emulator_state(request):
    """Faults and test lifetimes must not leak from one test into the next."""
    yield
    if "emulator" in request.fixturenames:
        running = request.getfixturevalue("emulator")
        if running.process is not None and running.process.poll() is None:
            running.clear_faults()
            running.set_token_ttl_seconds(None)


@pytest.fixture
def client(emulator):
    return RawClient(emulator.endpoint, emulator.access_key)
