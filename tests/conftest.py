"""Suite-wide settings and fixtures: the emulator as a real process (plain and TLS, one each per session).

Property-based tests explore new examples on every local run (that is how the fuzzer found its
bugs); CI (``CI`` set, as ``.ci/run`` runs) replays a fixed, derandomized set so its verdict is
reproducible and a red run can be re-run exactly.
"""

import os
import socket

import pytest
from hypothesis import settings

from acs_identity_emulator.testing import running_emulator

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def emulator():
    with running_emulator(in_memory=True) as emu:
        yield emu


@pytest.fixture(scope="session")
def tls_emulator():
    with running_emulator(in_memory=True, tls=True) as emu:
        yield emu


@pytest.fixture
def closed_port_endpoint():
    """An http endpoint nobody listens on: a request to it fails, so a local error proves no request was made."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
