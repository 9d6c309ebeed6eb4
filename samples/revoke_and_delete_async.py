"""Revoke a user's tokens (for example at sign-out), then delete the user (asyncio)."""

import asyncio

from azure.core.exceptions import ResourceNotFoundError
from sample_connection import connection_string

from azure.communication.identity.aio import CommunicationIdentityClient


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        user, token = await client.create_user_and_token(["chat"])
        await client.revoke_tokens(user)
        print("Revoked every token issued so far; new ones can still be issued")
        await client.delete_user(user)
        try:
            await client.get_token(user, ["chat"])
        except ResourceNotFoundError as error:
            print(f"After delete, the service says: {error.error.code}")


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
