"""The compatibility suite's fixtures (the emulators come from tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def trusts_tls_emulator(tls_emulator, monkeypatch):
    """The process trusts the TLS emulator's CA the usual way (environment), as the official package's users do.

    The sync transport reads it per host when a client is built; aiohttp reads it once, when imported.
    """
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_cert)
    monkeypatch.setenv("SSL_CERT_FILE", tls_emulator.ca_cert)
    return tls_emulator
