"""Entra ID assignments with the asyncio client: assign a group, list, delete (api-version 2025-03-02-preview)."""

import asyncio
import os
import uuid

from sample_connection import connection_string

from azure.communication.identity import ApiVersion, EntraPrincipalType
from azure.communication.identity.aio import CommunicationIdentityClient


async def main(conn_str: str) -> None:
    tenant_id = os.environ.get("ENTRA_TENANT_ID") or str(uuid.uuid4())
    group_id = os.environ.get("ENTRA_GROUP_ID") or str(uuid.uuid4())
    client_app_id = os.environ.get("ENTRA_CLIENT_ID") or str(uuid.uuid4())
    async with CommunicationIdentityClient.from_connection_string(
            conn_str, api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        assignment, created = await client.upsert_entra_assignment(
            tenant_id, group_id, EntraPrincipalType.GROUP, client_ids=[client_app_id])
        print(f"Group assignment {'created' if created else 'replaced'}: {assignment.object_id}")
        listed = [item.object_id async for item in client.list_entra_assignments()]
        print(f"Listed the group: {group_id in listed}")
        await client.delete_entra_assignment(group_id)
        print("Removed the assignment")


with connection_string() as conn_str:
    asyncio.run(main(conn_str))
