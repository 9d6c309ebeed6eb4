"""An Entra ID user's app gets Communication Services tokens by exchanging the user's Entra ID token.

First the resource owner assigns the user (Entra ID users are in api-version 2025-03-02-preview; an
assignment may also name a group or a whole tenant). Then the user's app builds
CommunicationTokenCredential with the resource's endpoint and the user's Entra ID credential; the
scopes default to https://communication.azure.com/clients/.default, which selects this exchange.

Against the local emulator the user's Entra ID token is minted by the emulator's development issuer
(sample_connection.EmulatorSignIn); against a real resource set ENTRA_TENANT_ID, ENTRA_USER_OBJECT_ID
and ENTRA_CLIENT_ID, and the user signs in through azure-identity.
"""

import os

from sample_connection import connection_string, signed_in_user

from azure.communication.identity import (
    ApiVersion,
    CommunicationIdentityClient,
    CommunicationTokenCredential,
    EntraPrincipalType,
    parse_connection_string,
)

TENANT_ID = os.environ.get("ENTRA_TENANT_ID", "0f4c2d7e-8a1b-4c3d-9e5f-6a7b8c9d0e1f")
USER_OBJECT_ID = os.environ.get("ENTRA_USER_OBJECT_ID", "5d2e8f1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a")
CLIENT_APP_ID = os.environ.get("ENTRA_CLIENT_ID", "8a7b6c5d-4e3f-4a1b-9c2d-3e4f5a6b7c8d")  # the app users sign in to

with connection_string() as conn_str:
    # The resource owner (with the resource's key): let the user exchange tokens through the app.
    with CommunicationIdentityClient.from_connection_string(
            conn_str, api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        client.upsert_entra_assignment(TENANT_ID, USER_OBJECT_ID, EntraPrincipalType.USER, client_ids=[CLIENT_APP_ID])

        # The user's app: no access key, only the user's own Entra ID sign-in.
        user = signed_in_user(conn_str, tenant_id=TENANT_ID, object_id=USER_OBJECT_ID, client_id=CLIENT_APP_ID)
        with CommunicationTokenCredential(resource_endpoint=parse_connection_string(conn_str).endpoint,
                                          token_credential=user) as credential:
            token = credential.get_token()  # the first call exchanges
            print(f"Exchanged the Entra ID user's token: a token valid until epoch second {token.expires_on}")
            print("The next get_token reuses it:", credential.get_token() == token)

        client.delete_entra_assignment(USER_OBJECT_ID)
        print("Deleted the assignment: the tokens the user exchanged through it are revoked")
