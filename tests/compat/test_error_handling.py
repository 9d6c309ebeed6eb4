"""Error handling written for the official package keeps working: the same azure-core exception classes,
``status_code``, ``error.code``, ``message``, whether the service or a local check found the problem.

Local checks send nothing: the clients below point at a port nobody listens on, so a request would
surface as ``ServiceRequestError`` instead of the service's error.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient

TEAMS = "https://auth.msft.communication.azure.com"
USER = "8:acs:00000000-0000-4000-8000-000000000001_00000000-0000-4000-8000-000000000002"


@pytest.fixture
def nowhere(closed_port_endpoint):
    return closed_port_endpoint


def _invalid_lifetime_calls(client):
    chat = [CommunicationTokenScope.CHAT]
    return [
        lambda: client.create_user_and_token(scopes=chat, token_expires_in=timedelta(minutes=59)),
        lambda: client.create_user_and_token(scopes=chat, token_expires_in=timedelta(minutes=1441)),
        lambda: client.get_token(USER, scopes=chat, token_expires_in=timedelta(minutes=59)),
        lambda: client.get_token(USER, scopes=chat, token_expires_in=timedelta(minutes=1441)),
    ]


def test_out_of_range_lifetime_is_the_services_400_without_a_request(nowhere):
    client = CommunicationIdentityClient(nowhere, AzureKeyCredential("a2V5"), retry_total=0)
    for call in _invalid_lifetime_calls(client):
        try:
            call()
        except HttpResponseError as ex:  # the official package's tests: str(ex.status_code) == "400"
            assert str(ex.status_code) == "400" and ex.message is not None
            assert ex.error.code == "ValidationError" and ex.error.target == "ExpiresInMinutes"
            assert ex.response.json()["error"]["code"] == "ValidationError"
            assert isinstance(ex, ValueError)  # and what this package raised before: a ValueError
        else:
            pytest.fail("no error")


@pytest.mark.asyncio
async def test_out_of_range_lifetime_async(nowhere):
    async with AsyncCommunicationIdentityClient(nowhere, AzureKeyCredential("a2V5"), retry_total=0) as client:
        for call in _invalid_lifetime_calls(client):
            with pytest.raises(HttpResponseError) as info:
                await call()
            assert info.value.status_code == 400 and "ExpiresInMinutes value" in info.value.message


def _teams_cases(aad_token, client_id, user_object_id):
    """(arguments, status, code) as the official package's live tests expect them."""
    return [
        (("", client_id, ""), 401, "InvalidAccessToken"),
        (("invalid", client_id, ""), 401, "InvalidAccessToken"),
        ((aad_token, "", user_object_id), 400, "ValidationError"),
        ((aad_token, "invalid", user_object_id), 400, "ValidationError"),
        ((aad_token, user_object_id, user_object_id), 400, "ValidationError"),
        ((aad_token, client_id, ""), 400, "ValidationError"),
        ((aad_token, client_id, "invalid"), 400, "ValidationError"),
        ((aad_token, client_id, client_id), 400, "ValidationError"),
    ]


def test_bad_teams_exchange_arguments_give_the_services_errors_locally(emulator, nowhere):
    client_id, oid = str(uuid.uuid4()), str(uuid.uuid4())
    aad_token = emulator.mint_aad_token(aud=TEAMS, appid=client_id, oid=oid)
    expired = emulator.mint_aad_token(aud=TEAMS, appid=client_id, oid=oid, expires_in=-60)
    client = CommunicationIdentityClient(nowhere, AzureKeyCredential("a2V5"), retry_total=0)
    for args, status, code in _teams_cases(aad_token, client_id, oid) + [((expired, client_id, oid), 401,
                                                                           "InvalidAccessToken")]:
        with pytest.raises(HttpResponseError) as info:
            client.get_token_for_teams_user(*args)
        assert (info.value.status_code, info.value.error.code) == (status, code), args
        assert isinstance(info.value, ClientAuthenticationError) == (status == 401)
        assert isinstance(info.value, ValueError)
        assert aad_token not in str(info.value) and expired not in str(info.value)


@pytest.mark.asyncio
async def test_the_emulator_gives_the_same_errors_to_requests_that_pass_the_local_checks(emulator):
    """A token that looks right locally but that the service refuses: the error comes from the emulator."""
    client_id, oid = str(uuid.uuid4()), str(uuid.uuid4())
    untrusted = emulator.mint_aad_token(aud=TEAMS, appid=client_id, oid=oid, untrusted=True)
    async with AsyncCommunicationIdentityClient.from_connection_string(emulator.connection_string) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            await client.get_token_for_teams_user(untrusted, client_id, oid)
        assert (info.value.status_code, info.value.error.code) == (401, "InvalidAccessToken")
        assert not isinstance(info.value, ValueError)  # a real service answer


def test_service_errors_keep_their_azure_core_classes(emulator):
    identity_client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    user = identity_client.create_user()
    identity_client.delete_user(user)
    try:
        identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT])
    except ResourceNotFoundError as ex:
        assert ex.status_code == 404 and ex.error.code == "IdentityNotFound"
    else:
        pytest.fail("no error")
    wrong_key = CommunicationIdentityClient(emulator.endpoint, AzureKeyCredential("d3Jvbmcta2V5"))
    with pytest.raises(ClientAuthenticationError) as info:
        wrong_key.create_user()
    assert info.value.status_code == 401


@pytest.mark.parametrize("call", [
    lambda c: c.create_user_and_token(scopes=None),
    lambda c: c.get_token(user=None, scopes=[CommunicationTokenScope.CHAT]),
    lambda c: c.get_token(USER, scopes=None),
    lambda c: c.delete_user(user=None),
    lambda c: c.revoke_tokens(user=None),
])
def test_missing_arguments_raise_before_any_request(nowhere, call):
    # The official package raises AttributeError/ValueError here, or sends and gets a 400 (its tests accept
    # any Exception); this package says which argument is wrong, and sends nothing.
    client = CommunicationIdentityClient(nowhere, AzureKeyCredential("a2V5"), retry_total=0)
    with pytest.raises((TypeError, ValueError), match="scopes|user"):
        call(client)
