"""Keep a valid token for a chat or calling client over hours: a credential that refreshes itself.

The refresher is backed by CommunicationIdentityClient.get_token; with proactive_refresh the
credential refreshes in the background ten minutes before expiry. close() (or the with block)
stops the background timer.
"""

from sample_connection import connection_string

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenCredential

with connection_string() as conn_str:
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        user = client.create_user()

        def fetch_token():
            return client.get_token(user, ["chat"])

        with CommunicationTokenCredential(fetch_token().token, token_refresher=fetch_token,
                                          proactive_refresh=True) as credential:
            token = credential.get_token()
            print(f"The credential holds a token valid until epoch second {token.expires_on}")
        client.delete_user(user)
