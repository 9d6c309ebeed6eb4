"""Let Microsoft Entra ID users use this resource: assign a user, a group or a whole tenant, list, update, delete.

Entra ID assignments are in api-version 2025-03-02-preview. Set ENTRA_TENANT_ID, ENTRA_GROUP_ID and
ENTRA_CLIENT_ID to your own ids when running against a real resource; random ones are used otherwise.
"""

import os
import uuid

from sample_connection import connection_string

from azure.communication.identity import ApiVersion, CommunicationIdentityClient, EntraAssignment, EntraPrincipalType

tenant_id = os.environ.get("ENTRA_TENANT_ID") or str(uuid.uuid4())
group_id = os.environ.get("ENTRA_GROUP_ID") or str(uuid.uuid4())
client_app_id = os.environ.get("ENTRA_CLIENT_ID") or str(uuid.uuid4())  # the app your users sign in to
user_id = str(uuid.uuid4())

with connection_string() as conn_str:
    with CommunicationIdentityClient.from_connection_string(
            conn_str, api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        assignment, created = client.upsert_entra_assignment(
            tenant_id, group_id, EntraPrincipalType.GROUP, client_ids=[client_app_id])
        print(f"Group assignment {'created' if created else 'replaced'}: {assignment.object_id}")

        # Several changes in one request, all or none: object id -> assignment, or None to remove it.
        written = client.update_entra_assignments({
            user_id: EntraAssignment(user_id, tenant_id, EntraPrincipalType.USER, [client_app_id]),
        })
        print(f"Bulk update wrote {len(written)} assignment(s)")

        for item in client.list_entra_assignments():  # pages are fetched as the loop goes
            if item.object_id in (group_id, user_id):
                print(f"Listed {item.principal_type} {item.object_id} for apps {', '.join(item.client_ids)}")

        client.update_entra_assignments({user_id: None})
        client.delete_entra_assignment(group_id)  # tokens its users exchanged are revoked
        print("Removed both assignments")
