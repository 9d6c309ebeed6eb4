"""The asyncio twin of teams_phone_user_credential.py: 20 concurrent get_token calls share one exchange."""

import asyncio
import os

from sample_connection import connection_string, signed_in_user

from azure.communication.identity import TeamsExtensionPrincipalType, parse_connection_string
from azure.communication.identity.aio import CommunicationIdentityClient, CommunicationTokenCredential

TENANT_ID = os.environ.get("TEAMS_TENANT_ID", "6c5b2a8e-4b1e-4d3a-9f7c-1e2d3c4b5a69")
USER_OBJECT_ID = os.environ.get("TEAMS_USER_OBJECT_ID", "3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c")
CLIENT_APP_ID = os.environ.get("TEAMS_CLIENT_APP_ID", "29cf943d-be4d-44bb-9cc4-7cd90c169b14")
SCOPES = ["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        await client.upsert_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID, TeamsExtensionPrincipalType.USER,
                                                       client_ids=[CLIENT_APP_ID])
        user = signed_in_user(conn_str, tenant_id=TENANT_ID, object_id=USER_OBJECT_ID, client_id=CLIENT_APP_ID,
                              asynchronous=True)
        async with CommunicationTokenCredential(resource_endpoint=parse_connection_string(conn_str).endpoint,
                                                token_credential=user, scopes=SCOPES) as credential:
            tokens = await asyncio.gather(*(credential.get_token() for _ in range(20)))
            print(f"20 callers got {len(set(tokens))} token from one exchange, valid until epoch second "
                  f"{tokens[0].expires_on}")
        await client.delete_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID)
        print("Deleted the assignment: the tokens the user exchanged are revoked")


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
