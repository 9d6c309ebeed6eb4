"""The asyncio twin of entra_user_credential.py: 20 concurrent get_token calls share one exchange."""

import asyncio
import os

from sample_connection import connection_string, signed_in_user

from azure.communication.identity import ApiVersion, EntraPrincipalType, parse_connection_string
from azure.communication.identity.aio import CommunicationIdentityClient, CommunicationTokenCredential

TENANT_ID = os.environ.get("ENTRA_TENANT_ID", "0f4c2d7e-8a1b-4c3d-9e5f-6a7b8c9d0e1f")
USER_OBJECT_ID = os.environ.get("ENTRA_USER_OBJECT_ID", "5d2e8f1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a")
CLIENT_APP_ID = os.environ.get("ENTRA_CLIENT_ID", "8a7b6c5d-4e3f-4a1b-9c2d-3e4f5a6b7c8d")


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(
            conn_str, api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        await client.upsert_entra_assignment(TENANT_ID, USER_OBJECT_ID, EntraPrincipalType.USER,
                                             client_ids=[CLIENT_APP_ID])
        user = signed_in_user(conn_str, tenant_id=TENANT_ID, object_id=USER_OBJECT_ID, client_id=CLIENT_APP_ID,
                              asynchronous=True)
        async with CommunicationTokenCredential(resource_endpoint=parse_connection_string(conn_str).endpoint,
                                                token_credential=user) as credential:
            tokens = await asyncio.gather(*(credential.get_token() for _ in range(20)))
            print(f"20 callers got {len(set(tokens))} token from one exchange, valid until epoch second "
                  f"{tokens[0].expires_on}")
        await client.delete_entra_assignment(USER_OBJECT_ID)
        print("Deleted the assignment: the tokens the user exchanged through it are revoked")


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
