"""The two user exchanges (Teams Phone extensibility, Entra ID) as a raw request: the user's Entra ID token
as the bearer and no resource key. The assignment tests use it to see what an assignment allows on the wire,
independently of CommunicationTokenCredential's exchange form (tested in test_token_exchange_credential.py)."""

import json
import urllib.error
import urllib.request

TEAMS_EXTENSION = "/access/teamsExtension/:exchangeAccessToken"
ENTRA = "/access/entra/:exchangeAccessToken"


def user_exchange(emulator, path: str, api_version: str, bearer: str):
    """POST ``path`` with ``bearer``: (status, JSON document)."""
    request = urllib.request.Request(f"{emulator.endpoint}{path}?api-version={api_version}", data=b"{}",
                                     method="POST", headers={"Authorization": f"Bearer {bearer}",
                                                             "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
