"""The async CommunicationTokenCredential: one in-flight refresh, a background task, clean close."""
import asyncio
import base64
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity.aio._token_credential_async import CommunicationTokenCredential

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(exp, **claims):
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"exp": int(exp), "skypeid": "acs:r_u", **claims}).encode())
    return f"{head}.{body}.c2ln"


def token_at(moment, tag="t"):
    return make_jwt(moment.timestamp(), tag=tag)


class FakeClock:
    def __init__(self, start=T0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class AsyncRefresher:
    """An async refresher that counts calls; ``produce`` returns a value or raises."""

    def __init__(self, produce, delay=0.0):
        self.produce = produce
        self.delay = delay
        self.calls = 0
        self.called = asyncio.Event()

    async def __call__(self):
        self.calls += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self.produce()
        finally:
            self.called.set()


def our_tasks():
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


def background_loops():
    # asyncio.wait_for may run its awaitable in a helper task, so count the credential's own loop only.
    return [t for t in our_tasks() if t.get_coro().__qualname__.endswith("._proactive_loop")]


# ---------------------------------------------------------------- static and on-demand


@pytest.mark.asyncio
async def test_static_token():
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token, _clock=FakeClock())
    result = await credential.get_token("ignored-scope", tenant_id="ignored")
    assert result == AccessToken(token, int((T0 + timedelta(hours=1)).timestamp()))
    assert our_tasks() == set()
    await credential.close()


@pytest.mark.asyncio
async def test_static_token_expired_is_a_clear_error():
    clock = FakeClock()
    token = token_at(T0 + timedelta(seconds=30))
    credential = CommunicationTokenCredential(token, _clock=clock)
    assert (await credential.get_token()).token == token
    clock.advance(seconds=30)
    with pytest.raises(ValueError, match="no token_refresher") as caught:
        await credential.get_token()
    assert token not in str(caught.value)


@pytest.mark.asyncio
async def test_refresh_at_the_two_minute_window_boundary():
    clock = FakeClock()
    expiry = T0 + timedelta(minutes=10)
    initial = token_at(expiry, "initial")
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(initial, token_refresher=refresher, _clock=clock)
    clock.now = expiry - timedelta(minutes=2, seconds=1)
    assert (await credential.get_token()).token == initial
    assert refresher.calls == 0
    clock.now = expiry - timedelta(minutes=2) + timedelta(seconds=1)
    fresh = await credential.get_token()
    assert fresh.token == token_at(clock.now + timedelta(hours=1), "fresh")
    assert await credential.get_token() == fresh
    assert refresher.calls == 1


@pytest.mark.asyncio
async def test_refresher_may_return_an_access_token():
    expires = int((T0 + timedelta(hours=1)).timestamp())
    refresher = AsyncRefresher(lambda: AccessToken("opaque", expires))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=FakeClock())
    assert await credential.get_token() == AccessToken("opaque", expires)


@pytest.mark.asyncio
async def test_sync_refresher_is_rejected_clearly():
    credential = CommunicationTokenCredential(
        token_at(T0), token_refresher=lambda: token_at(T0 + timedelta(hours=1)), _clock=FakeClock()
    )
    with pytest.raises(TypeError, match="needs an async token_refresher"):
        await credential.get_token()


@pytest.mark.asyncio
async def test_nearly_expired_refresh_backs_off():
    clock = FakeClock()
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(seconds=30), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)
    first = await credential.get_token()
    clock.advance(seconds=14)
    assert await credential.get_token() == first
    assert refresher.calls == 1
    clock.advance(seconds=1)
    assert await credential.get_token() != first
    assert refresher.calls == 2


@pytest.mark.asyncio
async def test_real_time_loop_against_a_30_second_refresher_calls_it_at_most_twice():
    def thirty_seconds():
        return make_jwt(time.time() + 30)

    refresher = AsyncRefresher(thirty_seconds)
    credential = CommunicationTokenCredential(thirty_seconds(), token_refresher=refresher)
    started = time.monotonic()
    loops = 0
    while time.monotonic() - started < 1.0:
        await credential.get_token()
        await asyncio.sleep(0)
        loops += 1
    assert loops > 100
    assert 1 <= refresher.calls <= 2
    await credential.close()


@pytest.mark.asyncio
async def test_refresher_returning_an_expired_token():
    clock = FakeClock()
    stale = token_at(T0 - timedelta(seconds=1), "stale")
    refresher = AsyncRefresher(lambda: stale)
    credential = CommunicationTokenCredential(token_at(T0, "initial"), token_refresher=refresher, _clock=clock)
    with pytest.raises(ValueError, match="already expired") as caught:
        await credential.get_token()
    assert stale not in str(caught.value)
    refresher.produce = lambda: token_at(T0 + timedelta(hours=1), "fresh")
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


@pytest.mark.asyncio
async def test_refresher_raising_propagates_and_the_next_attempt_works():
    outcomes = [ConnectionError("down"), token_at(T0 + timedelta(hours=1), "fresh")]

    def produce():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    refresher = AsyncRefresher(produce)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=FakeClock())
    with pytest.raises(ConnectionError, match="down"):
        await credential.get_token()
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


# ---------------------------------------------------------------- concurrency


@pytest.mark.asyncio
async def test_fifty_tasks_cause_one_refresher_call():
    fresh = token_at(T0 + timedelta(hours=1), "fresh")
    refresher = AsyncRefresher(lambda: fresh, delay=0.05)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher, _clock=FakeClock())
    results = await asyncio.gather(*(credential.get_token() for _ in range(50)))
    assert refresher.calls == 1
    assert {r.token for r in results} == {fresh}


@pytest.mark.asyncio
async def test_fifty_tasks_share_one_failure_then_recover():
    refresher = AsyncRefresher(lambda: (_ for _ in ()).throw(ConnectionError("down")), delay=0.05)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher, _clock=FakeClock())
    results = await asyncio.gather(*(credential.get_token() for _ in range(50)), return_exceptions=True)
    assert refresher.calls == 1
    assert all(isinstance(r, ConnectionError) for r in results)
    refresher.produce = lambda: token_at(T0 + timedelta(hours=1), "fresh")
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


@pytest.mark.asyncio
async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh():
    fresh = token_at(T0 + timedelta(hours=1), "fresh")
    refresher = AsyncRefresher(lambda: fresh, delay=0.1)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher, _clock=FakeClock())
    first = asyncio.ensure_future(credential.get_token())
    second = asyncio.ensure_future(credential.get_token())
    await asyncio.sleep(0.01)
    first.cancel()
    assert (await second).token == fresh
    assert first.cancelled()
    assert refresher.calls == 1


# ---------------------------------------------------------------- proactive refresh


@pytest.mark.asyncio
async def test_proactive_refresh_happens_before_a_short_real_token_expires():
    expiry = int(time.time()) + 3
    seen = {}

    def produce():
        seen["at"] = time.time()
        return make_jwt(time.time() + 3600)

    refresher = AsyncRefresher(produce)
    async with CommunicationTokenCredential(
        make_jwt(expiry), token_refresher=refresher, proactive_refresh=True,
        refresh_before_expiry=timedelta(seconds=1.5),
    ) as credential:
        await asyncio.wait_for(refresher.called.wait(), 5)
        assert seen["at"] < expiry
        assert (await credential.get_token()).expires_on > expiry + 3000
        assert refresher.calls == 1
        assert len(background_loops()) == 1  # the background task, re-armed for the new token
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_proactive_task_starts_lazily_at_first_get_token_and_uses_the_injected_clock():
    expiry = T0 + timedelta(hours=1)
    clock = FakeClock(expiry - timedelta(minutes=10) - timedelta(seconds=0.05))
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(expiry), token_refresher=refresher, proactive_refresh=True, _clock=clock
    )
    assert our_tasks() == set()  # no loop work at construction
    assert (await credential.get_token()).token == token_at(expiry)
    assert len(background_loops()) == 1
    await asyncio.wait_for(refresher.called.wait(), 5)
    await asyncio.sleep(0)
    assert (await credential.get_token()).token == token_at(clock.now + timedelta(hours=1), "fresh")
    assert refresher.calls == 1
    await credential.close()
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_proactive_refresh_backs_off_against_a_30_second_refresher():
    clock = FakeClock()
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(seconds=30), "short"))
    async with CommunicationTokenCredential(
        token_at(T0 + timedelta(seconds=30)), token_refresher=refresher, proactive_refresh=True, _clock=clock
    ):
        await asyncio.wait_for(refresher.called.wait(), 5)
        await asyncio.sleep(0.5)
        assert refresher.calls == 1


@pytest.mark.asyncio
async def test_on_demand_refresh_replans_the_background_task():
    clock = FakeClock()
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    # Lead of 1 minute: the on-demand window (2 minutes) comes first.
    async with CommunicationTokenCredential(
        token_at(T0 + timedelta(seconds=90)), token_refresher=refresher, proactive_refresh=True,
        refresh_before_expiry=timedelta(minutes=1), _clock=clock,
    ) as credential:
        assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
        await asyncio.sleep(0.3)
        assert refresher.calls == 1  # the task woke up, saw the new token and went back to sleep
        assert len(background_loops()) == 1


@pytest.mark.asyncio
async def test_background_failure_is_logged_without_secrets_and_retried_later(caplog):
    clock = FakeClock()
    secret = token_at(T0, "secret-in-message")

    def failing():
        raise RuntimeError(f"refresh failed for {secret}")

    refresher = AsyncRefresher(failing)
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    async with CommunicationTokenCredential(
        token_at(T0 + timedelta(minutes=1)), token_refresher=refresher, proactive_refresh=True, _clock=clock
    ) as credential:
        await asyncio.wait_for(refresher.called.wait(), 5)
        await asyncio.sleep(0.3)
        assert refresher.calls == 1
        messages = [r.getMessage() for r in caplog.records]
        assert any("Background refresh of the communication token failed (RuntimeError)" in m for m in messages)
        assert all(secret not in m for m in messages)
        refresher.produce = lambda: token_at(clock.now + timedelta(hours=1), "fresh")
        assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")


# ---------------------------------------------------------------- close and lifecycle


@pytest.mark.asyncio
async def test_close_cancels_the_task_and_refuses_use():
    credential = CommunicationTokenCredential(
        make_jwt(time.time() + 3600), token_refresher=AsyncRefresher(lambda: "unused"), proactive_refresh=True
    )
    async with credential:
        assert len(background_loops()) == 1
    assert our_tasks() == set()
    await credential.close()  # idempotent
    with pytest.raises(RuntimeError, match="CommunicationTokenCredential is closed"):
        await credential.get_token()
    with pytest.raises(RuntimeError, match="closed"):
        async with credential:
            pass


@pytest.mark.asyncio
async def test_close_during_a_refresh_cancels_it_and_waiters_get_a_clear_error():
    refresher = AsyncRefresher(lambda: token_at(T0 + timedelta(hours=1)), delay=10)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=FakeClock())
    waiter = asyncio.ensure_future(credential.get_token())
    await asyncio.sleep(0.01)
    assert refresher.calls == 1
    await credential.close()
    with pytest.raises(RuntimeError, match="closed"):
        await waiter
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_repr_and_bad_input():
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token)
    assert token not in repr(credential) and "async" in repr(credential)
    with pytest.raises(ValueError, match="not a JWT") as caught:
        CommunicationTokenCredential("opaque-secret-token")
    assert "opaque-secret" not in str(caught.value)
    with pytest.raises(ValueError, match="needs a token_refresher"):
        CommunicationTokenCredential(token, proactive_refresh=True)
