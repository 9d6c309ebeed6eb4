"""Create a user together with a token in one call, with a custom token lifetime (asyncio)."""

import asyncio
from datetime import timedelta

from sample_connection import connection_string

from azure.communication.identity import CommunicationTokenScope
from azure.communication.identity.aio import CommunicationIdentityClient


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        user, token = await client.create_user_and_token(
            [CommunicationTokenScope.CHAT], token_expires_in=timedelta(hours=1)
        )
        print(f"Created {user.raw_id}; its token expires on {token.expires_on_datetime:%Y-%m-%d %H:%M:%S %Z}")
        await client.delete_user(user)


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
