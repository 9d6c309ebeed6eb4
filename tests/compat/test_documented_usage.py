"""Code written for the official package's documented 1.x usage runs unchanged against this package.

The body of each test is the documented usage, kept as users write it (same imports, names, arguments).
"""

from __future__ import annotations

from datetime import timedelta

import pytest


def test_documented_sync_usage(emulator):
    connection_str = emulator.connection_string

    from azure.communication.identity import (
        CommunicationIdentityClient,
        CommunicationTokenScope,
        CommunicationUserIdentifier,
    )

    identity_client = CommunicationIdentityClient.from_connection_string(connection_str)
    user = identity_client.create_user()
    print("User created with id:" + user.properties["id"])

    tokenresponse = identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT])
    print("Token issued with value: " + tokenresponse.token[:0])
    print("Token expires on:", tokenresponse.expires_on)

    user, tokenresponse = identity_client.create_user_and_token(scopes=[CommunicationTokenScope.CHAT])
    token_expires_in = timedelta(hours=1)
    tokenresponse = identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT],
                                              token_expires_in=token_expires_in)
    identity_client.revoke_tokens(user)
    identity_client.delete_user(user)

    existing = CommunicationUserIdentifier(identity_client.create_user().properties["id"])
    identity_client.get_token(existing, [CommunicationTokenScope.VOIP])
    assert tokenresponse.expires_on.tzinfo is not None


@pytest.mark.asyncio
async def test_documented_async_usage(emulator):
    connection_str = emulator.connection_string

    from azure.communication.identity import CommunicationTokenScope
    from azure.communication.identity.aio import CommunicationIdentityClient

    identity_client = CommunicationIdentityClient.from_connection_string(connection_str)
    async with identity_client:
        user = await identity_client.create_user()
        tokenresponse = await identity_client.get_token(user, scopes=[CommunicationTokenScope.CHAT])
        user2, tokenresponse2 = await identity_client.create_user_and_token(scopes=[CommunicationTokenScope.VOIP])
        await identity_client.revoke_tokens(user)
        await identity_client.delete_user(user)
        await identity_client.delete_user(user2)
    assert tokenresponse.token and tokenresponse2.token
