"""2023-08-01's repeatable create: a create whose response is lost is sent again, with the same
Repeatability-* headers, and the service answers with what it created the first time; other versions
keep the no-replay rule. Faults come from the emulator's own controls."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError

from azure.communication.identity import ApiVersion, CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

REPEATABLE = ApiVersion.V2023_08_01
LOST_RESPONSES = [{"status": 500}, {"status": 502}, {"status": 504}, {"drop": True},
                  {"delay_seconds": 2}]  # with read_timeout=0.5: a read timeout
LOST_IDS = ["500", "502", "504", "dropped", "read-timeout"]


class Attempts:
    def __init__(self):
        self.headers = []

    def __call__(self, request):
        self.headers.append(dict(request.http_request.headers))

    def __bool__(self):
        return True


def _identities(emu) -> int:
    return emu.admin("GET", "stats")["identities"]


def _options(attempts):
    return {"raw_request_hook": attempts, "retry_total": 3, "retry_backoff_factor": 0.01, "read_timeout": 0.5}


def _check_one_create_sent_twice(attempts, emu, before, user, token):
    assert len(attempts.headers) == 2, "the lost create was sent once more"
    first, second = attempts.headers
    for name in ("Repeatability-Request-ID", "Repeatability-First-Sent"):
        assert first[name] == second[name], f"{name} is the same on the retry"
    assert first["x-ms-date"] <= second["x-ms-date"]  # each attempt is signed anew
    assert _identities(emu) == before + 1, "exactly one identity"
    assert emu.token_status(token.token)["valid"] is True
    assert token.token.count(".") == 2 and user.raw_id.startswith("8:acs:")


@pytest.mark.parametrize("fault", LOST_RESPONSES, ids=LOST_IDS)
def test_a_lost_create_is_retried_once_and_makes_one_identity(emu, fault):
    attempts = Attempts()
    before = _identities(emu)
    with CommunicationIdentityClient.from_connection_string(emu.connection_string, api_version=REPEATABLE,
                                                            **_options(attempts)) as client:
        emu.inject_fault(operation="create", after_processing=True, count=1, **fault)
        user, token = client.create_user_and_token(["chat"])
        _check_one_create_sent_twice(attempts, emu, before, user, token)
        # The answer to the repeat is the first execution's: its identity is the one that exists.
        assert client.get_token(user, ["voip"]).token


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", LOST_RESPONSES[:1] + LOST_RESPONSES[3:4], ids=["500", "dropped"])
async def test_a_lost_create_is_retried_once_async(emu, fault):
    attempts = Attempts()
    before = _identities(emu)
    async with AsyncClient.from_connection_string(emu.connection_string, api_version=REPEATABLE,
                                                  **_options(attempts)) as client:
        emu.inject_fault(operation="create", after_processing=True, count=1, **fault)
        user, token = await client.create_user_and_token(["chat"])
    _check_one_create_sent_twice(attempts, emu, before, user, token)


@pytest.mark.parametrize("version", [ApiVersion.V2023_10_01, ApiVersion.V2025_06_30])
def test_other_versions_still_do_not_replay_a_lost_create(emu, version):
    attempts = Attempts()
    before = _identities(emu)
    with CommunicationIdentityClient.from_connection_string(emu.connection_string, api_version=version,
                                                            **_options(attempts)) as client:
        emu.inject_fault(operation="create", status=500, after_processing=True, count=1)
        with pytest.raises(HttpResponseError) as info:
            client.create_user()
        emu.inject_fault(operation="create", drop=True, after_processing=True, count=1)
        with pytest.raises(ServiceResponseError):
            client.create_user()
    assert info.value.status_code == 500
    assert len(attempts.headers) == 2 and not any("Repeatability-Request-ID" in h for h in attempts.headers)
    assert _identities(emu) == before + 2


def test_each_create_call_gets_its_own_request_id(emu):
    attempts = Attempts()
    before = _identities(emu)
    with CommunicationIdentityClient.from_connection_string(emu.connection_string, api_version=REPEATABLE,
                                                            **_options(attempts)) as client:
        users = {client.create_user().raw_id for _ in range(3)}
    assert len(users) == 3 and _identities(emu) == before + 3
    assert len({h["Repeatability-Request-ID"] for h in attempts.headers}) == 3


RETRIED = [(408, {}), (429, {}), (502, {}), (507, {}), (500, {}), (504, {}), (503, {}), (429, {"Retry-After": "0"}),
           (400, {"Retry-After": "0"})]
RAISED = [400, 404, 409, 501, 505]


@pytest.mark.parametrize(("status", "headers"), RETRIED, ids=[f"{s}{'-retry-after' if h else ''}" for s, h in RETRIED])
def test_on_2023_08_01_a_create_is_retried_like_an_idempotent_request(emu, status, headers):
    """The same statuses as DELETE and GET: the repeat cannot make a second identity."""
    attempts = Attempts()
    before = _identities(emu)
    with CommunicationIdentityClient.from_connection_string(emu.connection_string, api_version=REPEATABLE,
                                                            **_options(attempts)) as client:
        emu.inject_fault(operation="create", status=status, headers=headers, count=1)
        client.create_user()
    assert len(attempts.headers) == 2 and _identities(emu) == before + 1


@pytest.mark.parametrize("status", RAISED)
def test_on_2023_08_01_other_client_errors_still_raise(emu, status):
    attempts = Attempts()
    with CommunicationIdentityClient.from_connection_string(emu.connection_string, api_version=REPEATABLE,
                                                            **_options(attempts)) as client:
        emu.inject_fault(operation="create", status=status, count=1)
        with pytest.raises(HttpResponseError) as info:
            client.create_user()
    assert info.value.status_code == status and len(attempts.headers) == 1


def test_on_2023_08_01_a_refused_connection_is_retried(closed_port_endpoint):
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import ServiceRequestError

    attempts = Attempts()
    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), api_version=REPEATABLE,
                                     raw_request_hook=attempts, retry_total=2, retry_backoff_factor=0.01) as client:
        with pytest.raises(ServiceRequestError):
            client.create_user()
    assert len(attempts.headers) == 3
    assert len({h["Repeatability-Request-ID"] for h in attempts.headers}) == 1
