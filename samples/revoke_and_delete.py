"""Revoke a user's tokens (for example at sign-out), then delete the user."""

from azure.core.exceptions import ResourceNotFoundError
from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient

with connection_string() as conn_str:
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        user, token = client.create_user_and_token(["chat"])
        client.revoke_tokens(user)
        print("Revoked every token issued so far; new ones can still be issued")
        client.delete_user(user)
        try:
            client.get_token(user, ["chat"])
        except ResourceNotFoundError as error:
            print(f"After delete, the service says: {error.error.code}")
