"""The async client end to end against the emulator (aiohttp transport), mirroring the sync suite."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from azure.communication.identity import (
    AccessToken,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.communication.identity._token_utils import decode_access_token
from azure.communication.identity.aio import CommunicationIdentityClient

from .ids import ODD_IDS, assert_reached_service_as_one_id

pytestmark = pytest.mark.asyncio


async def test_create_user_and_token_and_get_token(async_client, emulator):
    user = await async_client.create_user()
    assert isinstance(user, CommunicationUserIdentifier) and user.raw_id.startswith("8:acs:")
    user2, token = await async_client.create_user_and_token([CommunicationTokenScope.CHAT, "voip"])
    assert isinstance(token, AccessToken)
    assert set(decode_access_token(token.token).scopes) == {"chat", "voip"}
    assert isinstance(token.expires_on, str)  # the service's ISO 8601 text, as the official package returns
    assert token.expires_on_datetime.utcoffset() == timedelta(0)
    assert token.expires_on_datetime == decode_access_token(token.token).expires_on
    issued = await async_client.get_token(user, ["chat"], token_expires_in=timedelta(minutes=60))
    alias = await async_client.issue_token(user.raw_id, ["voip"])
    assert emulator.token_status(issued.token)["valid"] is True
    assert emulator.token_status(alias.token)["valid"] is True
    assert decode_access_token(issued.token).user_id == user.raw_id
    assert user2 != user


async def test_revoke_and_delete(async_client, emulator):
    user, token = await async_client.create_user_and_token(["chat"])
    await async_client.revoke_tokens(user)
    assert emulator.token_status(token.token)["valid"] is False
    fresh = await async_client.get_token(user, ["chat"])
    assert emulator.token_status(fresh.token)["valid"] is True
    await async_client.delete_user(user)
    assert emulator.token_status(fresh.token)["valid"] is False
    with pytest.raises(ResourceNotFoundError) as info:
        await async_client.get_token(user, ["chat"])
    assert str(info.value).startswith(f"({info.value.error.code}) {info.value.error.message}")


async def test_ids_that_need_encoding_are_signed_as_aiohttp_sends_them(async_client):
    # aiohttp rewrites '%3A' to ':'; a signature over the wrong form would give 401, not 404.
    for raw_id in ODD_IDS:
        with pytest.raises(HttpResponseError) as info:
            await async_client.get_token(raw_id, ["chat"])
        assert_reached_service_as_one_id(info.value, raw_id)


async def test_many_concurrent_calls_share_one_client(async_client, emulator):
    user = await async_client.create_user()
    tokens = await asyncio.gather(*(async_client.get_token(user, ["chat"]) for _ in range(20)))
    assert len({t.token for t in tokens}) == 20


async def test_wrong_key_and_local_mistakes(emulator, closed_port_endpoint):
    async with CommunicationIdentityClient(emulator.endpoint, AzureKeyCredential("d3Jvbmcta2V5")) as client:
        with pytest.raises(ClientAuthenticationError):
            await client.create_user()
    async with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0) as client:
        with pytest.raises(ValueError, match="The scope 'nope' is not a valid scope") as info:
            await client.get_token("8:acs:x", ["nope"])
        assert isinstance(info.value, HttpResponseError) and info.value.error.code == "ValidationError"
        with pytest.raises(ValueError, match="user"):
            await client.revoke_tokens("")


async def test_send_request(async_client):
    response = await async_client.send_request(HttpRequest("POST", "/identities",
                                                           params={"api-version": "2023-10-01"}, json={}))
    assert response.status_code == 201
    assert (await response.read()) and response.json()["identity"]["id"].startswith("8:acs:")


async def test_bearer_token_credential_over_tls(tls_emulator, async_aad_credential):
    credential = async_aad_credential(tls_emulator)
    async with CommunicationIdentityClient(tls_emulator.endpoint, credential,
                                           connection_verify=tls_emulator.ca_cert) as client:
        user, token = await client.create_user_and_token(["voip"])
        await client.delete_user(user)
    assert credential.scopes_asked[0] == ("https://communication.azure.com//.default",)
    expired = async_aad_credential(tls_emulator, expires_in=-600)
    async with CommunicationIdentityClient(tls_emulator.endpoint, expired,
                                           connection_verify=tls_emulator.ca_cert) as client:
        with pytest.raises(ClientAuthenticationError):
            await client.create_user()


async def test_close_without_context_manager(emulator):
    client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    await client.create_user()
    await client.close()


async def test_sub_minute_lifetime_is_truncated_as_the_official_package_does(async_client):
    sent = []

    def hook(request):
        sent.append(json.loads(request.http_request.body)["expiresInMinutes"])

    user = await async_client.create_user()
    token = await async_client.get_token(user, ["chat"], token_expires_in=timedelta(minutes=61, seconds=59),
                                         raw_request_hook=hook)
    assert sent == [61]
    lifetime = decode_access_token(token.token).expires_on - decode_access_token(token.token).issued_at
    assert timedelta(minutes=60) < lifetime <= timedelta(minutes=62)
