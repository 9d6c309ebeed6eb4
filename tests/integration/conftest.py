"""Fixtures: clients pointed at the emulator (tests/conftest.py starts it), Azure AD credentials, a proxy."""

from __future__ import annotations

import time

import pytest
import pytest_asyncio
from azure.core.credentials import AccessToken as CoreAccessToken

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient


@pytest.fixture(scope="module")
def faulty():
    """An emulator of the module's own, for tests that inject faults."""
    with running_emulator(in_memory=True) as emu:
        yield emu


@pytest.fixture
def emu(faulty):
    faulty.clear_faults()
    yield faulty
    faulty.clear_faults()


@pytest.fixture
def client(emulator):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string) as identity_client:
        yield identity_client


@pytest_asyncio.fixture
async def async_client(emulator):
    async with AsyncCommunicationIdentityClient.from_connection_string(emulator.connection_string) as identity_client:
        yield identity_client


class EmulatorAadCredential:
    """A TokenCredential whose Azure AD tokens come from the emulator's development issuer."""

    def __init__(self, emulator, **claims):
        self._emulator = emulator
        self._claims = claims
        self.scopes_asked: list = []

    def get_token(self, *scopes, **kwargs):
        self.scopes_asked.append(scopes)
        lifetime = self._claims.get("expires_in", 3600)
        token = self._emulator.mint_aad_token(**self._claims)
        return CoreAccessToken(token, int(time.time()) + max(lifetime, 0))

    def close(self):
        pass


class AsyncEmulatorAadCredential(EmulatorAadCredential):
    async def get_token(self, *scopes, **kwargs):  # type: ignore[override]
        return EmulatorAadCredential.get_token(self, *scopes, **kwargs)

    async def close(self):
        pass


@pytest.fixture
def aad_credential():
    """Factory: aad_credential(emulator, **claims) -> a sync TokenCredential backed by the emulator's issuer."""
    return EmulatorAadCredential


@pytest.fixture
def async_aad_credential():
    return AsyncEmulatorAadCredential


@pytest.fixture
def forward_proxy():
    """A real forward proxy on loopback (http absolute-form and CONNECT) that records what passed."""
    from .proxies import ForwardProxy

    with ForwardProxy() as server:
        yield server
