"""Faults the real world sends, injected through the emulator's own controls: retries, lost responses,
timeouts, dropped connections, untrusted certificates."""

from __future__ import annotations

import time

import pytest
import pytest_asyncio
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient


class Attempts:
    """Counts the requests the client actually sent (a raw_request_hook sees every retry)."""

    def __init__(self):
        self.urls = []

    def __call__(self, request):
        self.urls.append(request.http_request.url)

    def __len__(self):
        return len(self.urls)

    def __bool__(self):  # azure-core tests the hook for truth before calling it
        return True


def _client(emu, attempts, **kwargs):
    kwargs.setdefault("retry_backoff_factor", 0.01)
    return CommunicationIdentityClient.from_connection_string(emu.connection_string, raw_request_hook=attempts,
                                                             **kwargs)


def _identities(emu) -> int:
    return emu.admin("GET", "stats")["identities"]


def test_503_with_retry_after_is_retried_after_the_advertised_delay(emu):
    attempts = Attempts()
    with _client(emu, attempts, retry_total=3) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", status=503, headers={"Retry-After": "1"}, count=1)
        started = time.monotonic()
        token = client.get_token(user, ["chat"])
        waited = time.monotonic() - started
    assert token.token
    assert len(attempts) == 3  # create, the refused issue, the retried issue
    assert waited >= 0.9  # the advertised delay was honoured (a lower bound, not a speed claim)


def test_429_on_create_is_retried_and_makes_one_user(emu):
    attempts = Attempts()
    before = _identities(emu)
    with _client(emu, attempts, retry_total=2) as client:
        emu.inject_fault(operation="create", status=429, headers={"Retry-After": "1"}, count=1)
        client.create_user()
    assert len(attempts) == 2
    assert _identities(emu) == before + 1


def test_exhausted_retries_raise_the_service_error(emu):
    attempts = Attempts()
    with _client(emu, attempts, retry_total=2) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", status=503, headers={"Retry-After": "0"}, count=10)
        with pytest.raises(HttpResponseError) as info:
            client.get_token(user, ["chat"])
    assert info.value.status_code == 503
    assert str(info.value).startswith(f"({info.value.error.code}) {info.value.error.message}")
    assert len(attempts) == 1 + 3  # the create, then the first try and two retries


@pytest.mark.parametrize("status", [400, 403, 409, 413])
def test_other_4xx_are_not_retried(emu, status):
    attempts = Attempts()
    with _client(emu, attempts, retry_total=3) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", status=status, count=3)
        with pytest.raises(HttpResponseError) as info:
            client.get_token(user, ["chat"])
    assert info.value.status_code == status
    assert len(attempts) == 2


@pytest.mark.parametrize("fault", [
    {"status": 500}, {"status": 502}, {"status": 504}, {"drop": True},
], ids=["500", "502", "504", "dropped"])
def test_a_create_whose_response_was_lost_is_not_replayed(emu, fault):
    attempts = Attempts()
    before = _identities(emu)
    with _client(emu, attempts, retry_total=3) as client:
        emu.inject_fault(operation="create", after_processing=True, count=1, **fault)
        with pytest.raises((HttpResponseError, ServiceResponseError)):
            client.create_user_and_token(["chat"])
    assert len(attempts) == 1
    assert _identities(emu) == before + 1  # the service made exactly one user, and the client did not ask again


def test_token_issue_is_retried_after_a_500(emu):
    attempts = Attempts()
    with _client(emu, attempts, retry_total=2) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", status=500, count=1)
        assert client.get_token(user, ["chat"]).token
    assert len(attempts) == 3


def test_read_timeout_surfaces_and_does_not_hang(emu):
    with _client(emu, Attempts(), retry_total=0, read_timeout=0.5) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", delay_seconds=5, count=1)
        with pytest.raises(ServiceResponseError):
            client.get_token(user, ["chat"])


def test_dropped_connection_surfaces_as_azure_core_error(emu):
    with _client(emu, Attempts(), retry_total=0) as client:
        user = client.create_user()
        emu.inject_fault(operation="revokeAccessTokens", drop=True, count=1)
        with pytest.raises((ServiceRequestError, ServiceResponseError)):
            client.revoke_tokens(user)


def test_connection_refused_is_service_request_error(closed_port_endpoint):
    from azure.core.credentials import AzureKeyCredential

    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0,
                                     connection_timeout=2) as client:
        with pytest.raises(ServiceRequestError):
            client.create_user()


def test_untrusted_certificate_fails_closed(tls_emulator):
    with CommunicationIdentityClient.from_connection_string(tls_emulator.connection_string, retry_total=0) as client:
        with pytest.raises(ServiceRequestError):
            client.create_user()
    with CommunicationIdentityClient.from_connection_string(tls_emulator.connection_string,
                                                           connection_verify=tls_emulator.ca_cert) as client:
        assert client.create_user().raw_id.startswith("8:acs:")


@pytest_asyncio.fixture
async def async_emu(emu):
    return emu


@pytest.mark.asyncio
async def test_async_retry_after_and_lost_create(async_emu):
    emu = async_emu
    attempts = Attempts()
    before = _identities(emu)
    async with AsyncClient.from_connection_string(emu.connection_string, raw_request_hook=attempts, retry_total=3,
                                                  retry_backoff_factor=0.01) as client:
        emu.inject_fault(operation="create", status=503, headers={"Retry-After": "1"}, count=1)
        started = time.monotonic()
        user = await client.create_user()
        assert time.monotonic() - started >= 0.9
        assert len(attempts) == 2
        emu.inject_fault(operation="create", status=500, after_processing=True, count=1)
        with pytest.raises(HttpResponseError):
            await client.create_user()
        assert len(attempts) == 3
    assert _identities(emu) == before + 2
    assert user.raw_id.startswith("8:acs:")


@pytest.mark.asyncio
async def test_async_timeouts_and_drops(async_emu):
    emu = async_emu
    async with AsyncClient.from_connection_string(emu.connection_string, retry_total=0, read_timeout=0.5) as client:
        user = await client.create_user()
        emu.inject_fault(operation="issueAccessToken", delay_seconds=5, count=1)
        with pytest.raises(ServiceResponseError):
            await client.get_token(user, ["chat"])
        emu.inject_fault(operation="revokeAccessTokens", drop=True, count=1)
        with pytest.raises((ServiceRequestError, ServiceResponseError)):
            await client.revoke_tokens(user)
