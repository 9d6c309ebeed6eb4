"""CommunicationTokenCredential end to end: its refresher calls our client's get_token against the emulator,
which issues short-lived real tokens (a test-only lifetime below the service's 60-minute floor)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenCredential
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient
from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential

# A lifetime just over the credential's 2-minute on-demand window leaves a few seconds of cache.
TTL_SECONDS = 124


@pytest.fixture(scope="module")
def short_lived():
    with running_emulator(in_memory=True) as emu:
        emu.set_token_ttl_seconds(TTL_SECONDS)
        yield emu


def _wait_for(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_on_demand_refresh_through_our_client(short_lived):
    with CommunicationIdentityClient.from_connection_string(short_lived.connection_string) as client:
        user = client.create_user()
        calls = []

        def refresher():
            calls.append(time.monotonic())
            return client.get_token(user, ["chat"])

        first = client.get_token(user, ["chat"])
        with CommunicationTokenCredential(first.token, token_refresher=refresher) as credential:
            assert credential.get_token().token == first.token  # still outside the 2-minute window
            assert calls == []
            time.sleep(TTL_SECONDS - 120 + 1)  # now inside the window
            refreshed = credential.get_token()
            again = credential.get_token()
        assert len(calls) == 1
        assert refreshed.token != first.token and again.token == refreshed.token
        assert short_lived.token_status(refreshed.token)["valid"] is True


def test_proactive_refresh_before_expiry_and_close_stops_the_timer(short_lived):
    with CommunicationIdentityClient.from_connection_string(short_lived.connection_string) as client:
        user = client.create_user()
        calls = []

        def refresher():
            token = client.get_token(user, ["chat"])
            calls.append(time.monotonic())  # after the request: the wait below sees a finished refresh
            return token

        first = client.get_token(user, ["chat"])
        threads_before = set(threading.enumerate())
        # Entering arms the timer, due TTL_SECONDS - 2 before expiry: in about 2 s.
        with CommunicationTokenCredential(first.token, token_refresher=refresher, proactive_refresh=True,
                                          refresh_before_expiry=timedelta(seconds=TTL_SECONDS - 2)) as credential:
            assert _wait_for(lambda: len(calls) >= 1), "the background refresh did not run"
            current = credential.get_token()
            assert current.token != first.token
            assert short_lived.token_status(current.token)["valid"] is True
        assert _wait_for(lambda: set(threading.enumerate()) <= threads_before, 5), "a timer thread outlived close()"
        with pytest.raises(RuntimeError, match="closed"):
            credential.get_token()


@pytest.mark.asyncio
async def test_async_proactive_refresh_through_our_async_client(short_lived):
    async with AsyncClient.from_connection_string(short_lived.connection_string) as client:
        user = await client.create_user()
        calls = []

        async def refresher():
            token = await client.get_token(user, ["voip"])
            calls.append(time.monotonic())  # once the token is here: the credential takes it in the same step
            return token

        first = await client.get_token(user, ["voip"])
        async with AsyncCommunicationTokenCredential(
            first.token, token_refresher=refresher, proactive_refresh=True,
            refresh_before_expiry=timedelta(seconds=TTL_SECONDS - 2),
        ) as credential:
            tokens = await asyncio.gather(*(credential.get_token() for _ in range(50)))
            assert {t.token for t in tokens} == {first.token}
            deadline = time.monotonic() + 15
            while not calls and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert calls, "the background refresh did not run"
            current = await credential.get_token()
        assert current.token != first.token
        assert short_lived.token_status(current.token)["valid"] is True
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        assert not [t for t in leftover if "token_credential" in repr(t.get_coro())]
