"""A Teams Phone user's app gets Communication Services tokens by exchanging the user's Entra ID token.

First the resource owner assigns the user (Teams Phone extensibility, api-version 2025-06-30, the
default). Then the user's app builds CommunicationTokenCredential with the resource's endpoint, the
user's Entra ID credential and a scope under https://auth.msft.communication.azure.com/: each
get_token that needs a new token exchanges the user's Entra ID token for one.

Against the local emulator the user's Entra ID token is minted by the emulator's development issuer
(sample_connection.EmulatorSignIn); against a real resource set TEAMS_TENANT_ID,
TEAMS_USER_OBJECT_ID and TEAMS_CLIENT_APP_ID, and the user signs in through azure-identity.
"""

import os

from sample_connection import connection_string, signed_in_user

from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenCredential,
    TeamsExtensionPrincipalType,
    parse_connection_string,
)

TENANT_ID = os.environ.get("TEAMS_TENANT_ID", "6c5b2a8e-4b1e-4d3a-9f7c-1e2d3c4b5a69")
USER_OBJECT_ID = os.environ.get("TEAMS_USER_OBJECT_ID", "3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c")
CLIENT_APP_ID = os.environ.get("TEAMS_CLIENT_APP_ID", "29cf943d-be4d-44bb-9cc4-7cd90c169b14")
SCOPES = ["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]

with connection_string() as conn_str:
    # The resource owner (with the resource's key): let the user exchange tokens through the app.
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        client.upsert_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID, TeamsExtensionPrincipalType.USER,
                                                 client_ids=[CLIENT_APP_ID])

    # The user's app: no access key, only the user's own Entra ID sign-in.
    endpoint = parse_connection_string(conn_str).endpoint
    user = signed_in_user(conn_str, tenant_id=TENANT_ID, object_id=USER_OBJECT_ID, client_id=CLIENT_APP_ID)
    with CommunicationTokenCredential(resource_endpoint=endpoint, token_credential=user,
                                      scopes=SCOPES) as credential:
        token = credential.get_token()  # the first call exchanges; later ones reuse the token until it is due
        print(f"Exchanged the Teams Phone user's Entra ID token: a token valid until epoch second {token.expires_on}")
        print("The next get_token reuses it:", credential.get_token() == token)

    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        client.delete_teams_extension_assignment(TENANT_ID, USER_OBJECT_ID)
        print("Deleted the assignment: the tokens the user exchanged are revoked")
