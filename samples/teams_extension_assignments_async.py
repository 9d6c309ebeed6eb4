"""The asyncio twin of teams_extension_assignments.py."""

import asyncio
import os

from sample_connection import connection_string

from azure.communication.identity import TeamsExtensionPrincipalType
from azure.communication.identity.aio import CommunicationIdentityClient

TENANT_ID = os.environ.get("TEAMS_TENANT_ID", "6c5b2a8e-4b1e-4d3a-9f7c-1e2d3c4b5a69")
USER_OBJECT_ID = os.environ.get("TEAMS_USER_OBJECT_ID", "3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c")


async def main(conn_str: str) -> None:
    async with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        assignment, created = await client.upsert_teams_extension_assignment(
            TENANT_ID, USER_OBJECT_ID, TeamsExtensionPrincipalType.USER)
        print(f"{'Created' if created else 'Replaced'} the assignment of {assignment.object_id} "
              f"({assignment.principal_type}), through client apps {assignment.client_ids}")
        print("Read back:", await client.get_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID))
        await client.delete_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID)
        print("Deleted the assignment: the user's exchanged tokens are revoked")


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
