"""Quickstart: create a user, issue a chat + voip token, revoke it, delete the user.

    python samples/quickstart.py            # against a local emulator (SQLite store under .emulator/)
    COMMUNICATION_CONNECTION_STRING="endpoint=https://<resource>.communication.azure.com/;accesskey=<key>" \
        python samples/quickstart.py        # against your resource
"""

from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope, decode_access_token


def main() -> None:
    with connection_string(in_memory=False) as conn_str:
        with CommunicationIdentityClient.from_connection_string(conn_str) as client:
            user = client.create_user()
            print(f"Created user {user.raw_id}")

            token = client.get_token(user, [CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP])
            info = decode_access_token(token.token)  # reads the JWT's claims; the token itself is not printed
            print(f"Issued a token that expires on {token.expires_on} with scopes {', '.join(info.scopes)}")

            client.revoke_tokens(user)
            print("Revoked the user's tokens")

            client.delete_user(user)
            print("Deleted the user. Done.")


if __name__ == "__main__":
    main()
