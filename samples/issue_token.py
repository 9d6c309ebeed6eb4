"""Issue tokens for an existing user, by identifier or by the raw id you stored."""

from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

with connection_string() as conn_str:
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        stored_id = client.create_user().raw_id  # what your app keeps in its user table

        user = CommunicationUserIdentifier(stored_id)
        chat_token = client.get_token(user, ["chat"])
        voip_token = client.issue_token(stored_id, ["voip"])  # a raw id string works too
        print(f"chat token expires on {chat_token.expires_on}")
        print(f"voip token expires on {voip_token.expires_on}")
        client.delete_user(user)
