"""Keep a valid token over hours with the asyncio credential (its refresher is a coroutine function)."""

import asyncio

from sample_connection import connection_string

from azure.communication.identity.aio import CommunicationIdentityClient, CommunicationTokenCredential


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        user = await client.create_user()

        async def fetch_token():
            return await client.get_token(user, ["chat"])

        first = await fetch_token()
        async with CommunicationTokenCredential(first.token, token_refresher=fetch_token,
                                                proactive_refresh=True) as credential:
            token = await credential.get_token()
            print(f"The credential holds a token valid until epoch second {token.expires_on}")
        await client.delete_user(user)


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
