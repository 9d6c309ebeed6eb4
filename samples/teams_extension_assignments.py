"""Let a Teams Phone user exchange its Entra ID token for this resource's tokens, then take that back.

Teams Phone extensibility assignments need api-version 2025-03-02-preview, or 2025-06-30 (the
default) and later. Set TEAMS_TENANT_ID and TEAMS_USER_OBJECT_ID to your own user's ids; without
them, example ids are used (fine against the local emulator).
"""

import os

from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient, TeamsExtensionPrincipalType

TENANT_ID = os.environ.get("TEAMS_TENANT_ID", "6c5b2a8e-4b1e-4d3a-9f7c-1e2d3c4b5a69")
USER_OBJECT_ID = os.environ.get("TEAMS_USER_OBJECT_ID", "3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c")
CLIENT_APP_ID = os.environ.get("TEAMS_CLIENT_APP_ID", "29cf943d-be4d-44bb-9cc4-7cd90c169b14")

with connection_string() as conn_str:
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        assignment, created = client.upsert_teams_extension_assignment(
            TENANT_ID, USER_OBJECT_ID, TeamsExtensionPrincipalType.USER, client_ids=[CLIENT_APP_ID])
        print(f"{'Created' if created else 'Replaced'} the assignment of {assignment.object_id} "
              f"({assignment.principal_type}), through client apps {assignment.client_ids}")
        print("Read back:", client.get_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID))
        client.delete_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID)
        print("Deleted the assignment: the user's exchanged tokens are revoked")
