"""The official package's documented usage (its README and samples), written as its users write it, against
this package and the emulator: same imports, names, arguments, and what they do with the results."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

TEAMS = "https://auth.msft.communication.azure.com"


def test_readme_examples_sync(emulator):
    connection_str = emulator.connection_string

    from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope

    identity_client = CommunicationIdentityClient.from_connection_string(connection_str)
    user = identity_client.create_user()
    print("User created with id:" + user.properties["id"])

    tokenresponse = identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT])
    print("Token issued with value: " + tokenresponse.token[:0])
    print("Token expires on: " + tokenresponse.expires_on)  # the service's ISO 8601 text, as in the official

    token_expires_in = timedelta(hours=1)
    tokenresponse = identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT],
                                              token_expires_in=token_expires_in)
    user2, tokenresponse2 = identity_client.create_user_and_token(scopes=[CommunicationTokenScope.CHAT],
                                                                  token_expires_in=token_expires_in)
    print("User id:" + user2.properties["id"])

    identity_client.revoke_tokens(user)
    identity_client.delete_user(user)
    identity_client.delete_user(user2)
    assert emulator.token_status(tokenresponse.token)["reason"] == "deleted"
    assert emulator.token_status(tokenresponse2.token)["reason"] == "deleted"


@pytest.mark.asyncio
async def test_readme_examples_async(emulator):
    connection_str = emulator.connection_string

    from azure.communication.identity import CommunicationTokenScope
    from azure.communication.identity.aio import CommunicationIdentityClient

    identity_client = CommunicationIdentityClient.from_connection_string(connection_str)
    async with identity_client:
        user = await identity_client.create_user()
        tokenresponse = await identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT])
        user2, tokenresponse2 = await identity_client.create_user_and_token(
            scopes=[CommunicationTokenScope.VOIP], token_expires_in=timedelta(hours=24))
        await identity_client.revoke_tokens(user)
        await identity_client.delete_user(user2)
    assert emulator.token_status(tokenresponse.token)["reason"] == "revoked"
    assert emulator.token_status(tokenresponse2.token)["reason"] == "deleted"
    assert "expires " + tokenresponse2.expires_on


def test_teams_user_exchange_as_documented(emulator):
    from azure.communication.identity import CommunicationIdentityClient

    client_id, user_object_id = "app-client-id", "teams-user-object-id"
    aad_token = emulator.mint_aad_token(aud=TEAMS, appid=client_id, oid=user_object_id)
    identity_client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    tokenresponse = identity_client.get_token_for_teams_user(aad_token, client_id, user_object_id)
    print("Token issued with value: " + tokenresponse.token[:0])
    assert emulator.token_status(tokenresponse.token)["valid"] is True


def test_access_token_is_the_azure_core_type_with_the_service_text(emulator):
    from azure.core.credentials import AccessToken

    from azure.communication.identity import CommunicationIdentityClient

    client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    user, token = client.create_user_and_token(["chat"])
    assert isinstance(token, AccessToken)
    token_value, expires_on = token  # the tuple unpacks as azure-core's does
    assert token_value == token.token and expires_on == token.expires_on
    # What applications do with it: JSON APIs, string formatting, azure-core's own tuple fields.
    document = json.loads(json.dumps({"token": token.token, "expiresOn": token.expires_on}))
    assert document["expiresOn"].endswith("+00:00") and "T" in document["expiresOn"]
    assert token._fields == ("token", "expires_on") and token._asdict()["expires_on"] == token.expires_on
    # The extra: the same moment as an aware datetime; and the token never shows in the repr.
    assert token.expires_on_datetime.isoformat()[:19] == token.expires_on[:19]
    assert token.token not in repr(token) and token.token not in str(token)


def test_official_samples_pattern_host_from_parse_connection_str_and_a_key_str(trusts_tls_emulator):
    """The samples and tests split the connection string with _shared.utils and pass a bare host on."""
    from azure.communication.identity import CommunicationIdentityClient
    from azure.communication.identity._shared.utils import parse_connection_str

    endpoint, access_key = parse_connection_str(trusts_tls_emulator.connection_string)
    assert "://" not in endpoint  # a bare host: the client makes it https, as the official does
    identity_client = CommunicationIdentityClient(endpoint, access_key)  # the key as a plain str
    user = identity_client.create_user()
    assert user.properties.get("id") is not None
    identity_client.delete_user(user)
