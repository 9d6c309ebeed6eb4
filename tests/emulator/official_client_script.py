"""Run inside a virtualenv with the official azure-communication-identity 1.x (not this repo's client).

argv: connection string, api version, CA bundle path. Prints one JSON document on stdout.
"""
import datetime
import json
import sys

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope


def main():
    connection_string, version, ca_bundle = sys.argv[1:4]
    client = CommunicationIdentityClient.from_connection_string(
        connection_string, api_version=version, connection_verify=ca_bundle)
    result = {}
    user = client.create_user()
    result["user"] = user.properties["id"]
    scopes = [CommunicationTokenScope.CHAT]
    kwargs = {}
    if version >= "2023-10-01":
        scopes = [CommunicationTokenScope.CHAT_JOIN, CommunicationTokenScope.VOIP_JOIN]
    if version >= "2022-10-01":
        kwargs["token_expires_in"] = datetime.timedelta(minutes=90)
    second, token = client.create_user_and_token(scopes, **kwargs)
    result["second_user"] = second.properties["id"]
    result["created_token"] = token.token
    result["created_expires_on"] = token.expires_on if isinstance(token.expires_on, int) else str(token.expires_on)
    fetched = client.get_token(user, [CommunicationTokenScope.VOIP], **kwargs)
    result["token"] = fetched.token
    client.revoke_tokens(user)
    client.delete_user(second)
    result["done"] = True
    print(json.dumps(result))


if __name__ == "__main__":
    main()
