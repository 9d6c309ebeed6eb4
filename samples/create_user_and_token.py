"""Create a user together with a token in one call, with a custom token lifetime."""

from datetime import timedelta

from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope

with connection_string() as conn_str:
    client = CommunicationIdentityClient.from_connection_string(conn_str)
    with client:
        user, token = client.create_user_and_token(
            [CommunicationTokenScope.CHAT], token_expires_in=timedelta(hours=1)
        )
        print(f"Created {user.raw_id}; its token expires on {token.expires_on_datetime:%Y-%m-%d %H:%M:%S %Z}")
        client.delete_user(user)
