"""Issue tokens for an existing user, by identifier or by the raw id you stored (asyncio)."""

import asyncio

from sample_connection import connection_string

from azure.communication.identity import CommunicationUserIdentifier
from azure.communication.identity.aio import CommunicationIdentityClient


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        stored_id = (await client.create_user()).raw_id
        user = CommunicationUserIdentifier(stored_id)
        chat_token, voip_token = await asyncio.gather(
            client.get_token(user, ["chat"]), client.issue_token(stored_id, ["voip"])
        )
        print(f"chat token expires on {chat_token.expires_on}")
        print(f"voip token expires on {voip_token.expires_on}")
        await client.delete_user(user)


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
