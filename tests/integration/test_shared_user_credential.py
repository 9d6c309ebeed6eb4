"""The official package's private credential paths (``_shared.user_credential[_async]``, ``_shared.utils``).

Applications import the official 1.5.0 credential from these modules and their tests patch its clock
there; the tests below do what such code does, against the emulator where a token is issued.
"""

from __future__ import annotations

import base64
import importlib
import sys
from datetime import datetime, timezone
from unittest.mock import patch

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient

SHARED = "azure.communication.identity._shared"
CLOSED = "An instance of CommunicationTokenCredential cannot be reused once it has been closed."


def test_the_private_modules_are_the_real_ones_not_copies():
    import azure.communication.identity._shared.user_credential as user_credential
    import azure.communication.identity._shared.user_credential_async as user_credential_async
    from azure.communication.identity import CommunicationTokenCredential, _token_credential, _token_utils
    from azure.communication.identity._shared import user_credential as from_package
    from azure.communication.identity._shared.utils import create_access_token, get_current_utc_as_int
    from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential
    from azure.communication.identity.aio import _token_credential_async

    assert user_credential is _token_credential and from_package is _token_credential
    assert sys.modules[f"{SHARED}.user_credential"] is _token_credential
    assert user_credential.CommunicationTokenCredential is CommunicationTokenCredential
    assert user_credential_async is _token_credential_async
    assert user_credential_async.CommunicationTokenCredential is AsyncCommunicationTokenCredential
    assert create_access_token is _token_utils.create_access_token
    assert get_current_utc_as_int is _token_utils.get_current_utc_as_int
    # The names the official modules have, where code reaches for them.
    for module in (user_credential, user_credential_async):
        assert callable(module.create_access_token) and callable(module.get_current_utc_as_int)
    # Importing again (as a second application module would) gives the same objects.
    assert importlib.import_module(f"{SHARED}.user_credential") is _token_credential


@pytest.fixture(scope="module")
def issuing(emulator):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string) as client:
        yield emulator, client, client.create_user()


def test_official_style_code_with_a_patched_clock_refreshes_through_the_emulator(issuing):
    emulator, client, user = issuing
    # Written as for the official package: private import path, refresher built with its helper.
    import azure.communication.identity._shared.user_credential as user_credential
    from azure.communication.identity._shared.user_credential import CommunicationTokenCredential
    from azure.communication.identity._shared.utils import create_access_token

    calls = []

    def fetch_token():
        calls.append(1)
        return create_access_token(client.get_token(user, ["chat"]).token)

    initial = fetch_token()
    calls.clear()
    credential = CommunicationTokenCredential(initial.token, token_refresher=fetch_token, proactive_refresh=True)
    assert credential.get_token() == AccessToken(initial.token, initial.expires_on)
    assert calls == [] and credential._timer is None

    five_minutes_before_expiry = initial.expires_on - 300
    with patch(user_credential.__name__ + ".get_current_utc_as_int", return_value=five_minutes_before_expiry):
        refreshed = credential.get_token()
        assert calls == [1]  # inside the 10-minute proactive window of the patched clock
        assert refreshed.token != initial.token
        # The new token has the same lifetime: on the patched clock it too is inside the 10-minute
        # lead, so the timer waits half of what is left of it (about 150 s).
        assert credential._timer.interval == (refreshed.expires_on - five_minutes_before_expiry) / 2
    assert emulator.token_status(refreshed.token)["valid"] is True
    credential.close()
    with pytest.raises(RuntimeError) as caught:
        credential.get_token()
    assert str(caught.value) == CLOSED


@pytest.mark.asyncio
async def test_official_style_async_code_with_a_patched_clock_refreshes_through_the_emulator(issuing):
    emulator, _client, user = issuing
    import azure.communication.identity._shared.user_credential_async as user_credential_async
    from azure.communication.identity._shared.user_credential_async import CommunicationTokenCredential

    async with AsyncCommunicationIdentityClient.from_connection_string(emulator.connection_string) as client:
        calls = []

        async def fetch_token():
            calls.append(1)
            issued = await client.get_token(user, ["voip"])
            return AccessToken(issued.token, int(issued.expires_on_datetime.timestamp()))

        initial = await fetch_token()
        calls.clear()
        credential = CommunicationTokenCredential(initial.token, token_refresher=fetch_token, proactive_refresh=True)
        with patch(user_credential_async.__name__ + ".get_current_utc_as_int",
                   return_value=initial.expires_on - 300):
            async with credential:
                refreshed = await credential.get_token()
                assert calls == [1] and refreshed.token != initial.token
                assert credential._timer.interval == (refreshed.expires_on - (initial.expires_on - 300)) / 2
        assert emulator.token_status(refreshed.token)["valid"] is True
        with pytest.raises(RuntimeError, match="cannot be reused once it has been closed"):
            await credential.get_token()


def test_tokens_built_like_the_official_tests_build_them():
    # Standard base64 payload after a line break and indentation, a fractional exp: accepted there.
    from azure.communication.identity._shared.user_credential import CommunicationTokenCredential
    from azure.communication.identity._shared.utils import create_access_token

    expiry = datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp() + 0.25
    payload = base64.b64encode(f'{{"exp": {expiry} }}'.encode()).decode().rstrip("=")
    token = f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\n        {payload}.adM-ddBZZlQ1WlN3pdPBOF5G4Wh9iZpxNP"
    assert create_access_token(token) == AccessToken(token, int(expiry))
    with CommunicationTokenCredential(token) as credential:
        assert credential.get_token() == AccessToken(token, int(expiry))
    # Without proactive refresh there is nothing to stop: still usable after the block.
    assert credential.get_token().token == token
