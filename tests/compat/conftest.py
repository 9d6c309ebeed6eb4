"""The emulator for the compatibility suite: plain HTTP, and HTTPS for code that (like the official
package's) gives only a host name or relies on the environment's CA settings."""

from __future__ import annotations

import pytest

from acs_identity_emulator.testing import running_emulator


@pytest.fixture(scope="session")
def emulator():
    with running_emulator(in_memory=True) as emu:
        yield emu


@pytest.fixture(scope="session")
def tls_emulator():
    with running_emulator(in_memory=True, tls=True) as emu:
        yield emu


@pytest.fixture
def trusts_tls_emulator(tls_emulator, monkeypatch):
    """The process trusts the TLS emulator's CA the usual way (environment), as the official package's users do."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_cert)
    monkeypatch.setenv("SSL_CERT_FILE", tls_emulator.ca_cert)
    return tls_emulator
