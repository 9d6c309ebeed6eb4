"""The async CommunicationTokenCredential: one in-flight refresh, a background task, prompt close.

The credential reads its clock through ``get_current_utc_as_int`` in its own module; the ``clock``
fixture patches it there.
"""
import asyncio
import base64
import gc
import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity.aio import _token_credential_async
from azure.communication.identity.aio._token_credential_async import CommunicationTokenCredential

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
CLOSED = "An instance of CommunicationTokenCredential cannot be reused once it has been closed."


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(exp, **claims):
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"exp": int(exp), "skypeid": "acs:r_u", **claims}).encode())
    return f"{head}.{body}.c2ln"


def token_at(moment, tag="t"):
    return make_jwt(moment.timestamp(), tag=tag)


def epoch(moment):
    return int(moment.timestamp())


class FakeClock:
    def __init__(self, start=T0):
        self.now = start

    def __call__(self):
        return self.now.timestamp()

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_token_credential_async, "get_current_utc_as_int", fake)
    return fake


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


async def settle():
    # Let cancellations and call_soon callbacks run.
    for _ in range(5):
        await asyncio.sleep(0)


async def wait_for_condition(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


# ---------------------------------------------------------------- static and on-demand


@pytest.mark.asyncio
async def test_static_token(clock):
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token)
    result = await credential.get_token("ignored-scope", tenant_id="ignored")
    assert result == AccessToken(token, epoch(T0 + timedelta(hours=1)))
    assert our_tasks() == set()
    await credential.close()


@pytest.mark.asyncio
async def test_expired_static_token_is_still_returned_and_logged_once(clock, caplog):
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    token = token_at(T0 + timedelta(seconds=30))
    credential = CommunicationTokenCredential(token)
    clock.advance(seconds=30)
    assert (await credential.get_token()).token == token
    assert (await credential.get_token()).token == token
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "no token_refresher" in messages[0] and token not in messages[0]


@pytest.mark.asyncio
async def test_refresh_window_is_two_minutes_with_the_official_boundary(clock):
    expiry = T0 + timedelta(minutes=10)
    initial = token_at(expiry, "initial")
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(initial, token_refresher=refresher)
    clock.now = expiry - timedelta(minutes=2)
    assert (await credential.get_token()).token == initial
    assert refresher.calls == 0
    clock.advance(seconds=1)
    fresh = await credential.get_token()
    assert fresh.token == token_at(clock.now + timedelta(hours=1), "fresh")
    assert await credential.get_token() == fresh
    assert refresher.calls == 1


@pytest.mark.asyncio
async def test_refresher_may_return_an_access_token_or_be_a_plain_function(clock):
    expires = epoch(T0 + timedelta(hours=1))
    refresher = AsyncRefresher(lambda: AccessToken("opaque", expires))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
    assert await credential.get_token() == AccessToken("opaque", expires)
    # A plain function's result is used as it is (it runs on the loop, so it must not block).
    plain = CommunicationTokenCredential(token_at(T0), token_refresher=lambda: token_at(T0 + timedelta(hours=2)))
    assert (await plain.get_token()).token == token_at(T0 + timedelta(hours=2))


@pytest.mark.asyncio
async def test_refresher_returning_a_completed_future(clock):
    # The official package's tests hand the credential a refresher returning an asyncio.Future.
    def refresher():
        future = asyncio.get_running_loop().create_future()
        future.set_result(AccessToken("from-future", epoch(T0 + timedelta(hours=1))))
        return future

    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
    assert (await credential.get_token()).token == "from-future"


@pytest.mark.asyncio
async def test_nearly_expired_refresh_backs_off(clock):
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(seconds=30), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
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
    for _ in range(1000):
        await credential.get_token()
        await asyncio.sleep(0)
    assert 1 <= refresher.calls <= 2
    await credential.close()


@pytest.mark.asyncio
async def test_refresher_returning_an_expired_token_is_the_official_error(clock):
    stale = token_at(T0 - timedelta(seconds=1), "stale")
    refresher = AsyncRefresher(lambda: stale)
    credential = CommunicationTokenCredential(token_at(T0, "initial"), token_refresher=refresher)
    with pytest.raises(ValueError) as caught:
        await credential.get_token()
    assert str(caught.value) == "The token returned from the token_refresher is expired."
    assert "already expired" in str(caught.value.__cause__) and stale not in str(caught.value.__cause__)
    refresher.produce = lambda: token_at(T0 + timedelta(hours=1), "fresh")
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


@pytest.mark.asyncio
async def test_refresher_raising_propagates_and_the_next_attempt_works(clock):
    outcomes = [ConnectionError("down"), token_at(T0 + timedelta(hours=1), "fresh")]

    def produce():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    refresher = AsyncRefresher(produce)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
    with pytest.raises(ConnectionError, match="down"):
        await credential.get_token()
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


# ---------------------------------------------------------------- concurrency


@pytest.mark.asyncio
async def test_fifty_tasks_cause_one_refresher_call(clock):
    fresh = token_at(T0 + timedelta(hours=1), "fresh")
    refresher = AsyncRefresher(lambda: fresh, delay=0.05)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher)
    results = await asyncio.gather(*(credential.get_token() for _ in range(50)))
    assert refresher.calls == 1
    assert {r.token for r in results} == {fresh}


@pytest.mark.asyncio
async def test_fifty_tasks_share_one_failure_then_recover(clock):
    refresher = AsyncRefresher(lambda: (_ for _ in ()).throw(ConnectionError("down")), delay=0.05)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher)
    results = await asyncio.gather(*(credential.get_token() for _ in range(50)), return_exceptions=True)
    assert refresher.calls == 1
    assert all(isinstance(r, ConnectionError) for r in results)
    refresher.produce = lambda: token_at(T0 + timedelta(hours=1), "fresh")
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


@pytest.mark.asyncio
async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh(clock):
    fresh = token_at(T0 + timedelta(hours=1), "fresh")
    refresher = AsyncRefresher(lambda: fresh, delay=0.1)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher)
    first = asyncio.ensure_future(credential.get_token())
    second = asyncio.ensure_future(credential.get_token())
    await asyncio.sleep(0.01)
    first.cancel()
    assert (await second).token == fresh
    assert first.cancelled()
    assert refresher.calls == 1


# ---------------------------------------------------------------- proactive refresh


@pytest.mark.asyncio
async def test_the_background_refresh_is_planned_at_once_and_started_by_async_with(clock):
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=2), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=refresher, proactive_refresh=True
    )
    # Planned for 10 minutes before expiry, but no task: there may be no event loop at construction.
    assert credential._timer.interval == 50 * 60 and credential._timer.task is None
    await credential.get_token()
    assert our_tasks() == set()  # get_token without a refresh starts nothing either
    async with credential:
        assert our_tasks() == {credential._timer.task}
    await settle()
    assert our_tasks() == set()
    assert refresher.calls == 0


@pytest.mark.asyncio
async def test_within_the_lead_time_the_plan_is_half_the_remaining_lifetime(clock):
    token = token_at(T0 + timedelta(minutes=5))
    refresher = AsyncRefresher(lambda: token)
    credential = CommunicationTokenCredential(token, token_refresher=refresher, proactive_refresh=True)
    assert credential._timer.interval == 150
    clock.advance(seconds=150)
    await credential.get_token()
    assert refresher.calls == 1
    # The refresh replanned and started the background task.
    assert credential._timer.interval == 75 and credential._timer.task in our_tasks()
    await credential.close()


@pytest.mark.asyncio
async def test_the_background_task_refreshes_and_replans(clock):
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    async with CommunicationTokenCredential(
        token_at(T0 - timedelta(seconds=1)), token_refresher=refresher, proactive_refresh=True
    ) as credential:
        first = credential._timer
        await asyncio.wait_for(refresher.called.wait(), 10)
        assert await wait_for_condition(lambda: credential._timer is not first)
        assert credential._timer.interval == 50 * 60
        assert await wait_for_condition(first.task.done)
        assert our_tasks() == {credential._timer.task}
        assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")
        assert refresher.calls == 1
    await settle()
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_on_demand_refresh_replans_the_background_task(clock):
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    async with CommunicationTokenCredential(
        token_at(T0 + timedelta(minutes=30)), token_refresher=refresher, proactive_refresh=True
    ) as credential:
        planned = credential._timer
        assert planned.interval == 20 * 60
        clock.advance(minutes=21)
        assert (await credential.get_token()).token == token_at(clock.now + timedelta(hours=1), "fresh")
        assert credential._timer is not planned and credential._timer.interval == 50 * 60
        await settle()
        assert planned.task.cancelled() and our_tasks() == {credential._timer.task}
        assert refresher.calls == 1


@pytest.mark.asyncio
async def test_background_failure_is_logged_without_secrets_and_retried_later(clock, caplog):
    secret = token_at(T0, "secret-in-message")

    def failing():
        clock.now = T0 - timedelta(seconds=60)
        raise RuntimeError(f"refresh failed for {secret}")

    def logged():
        return [r.getMessage() for r in caplog.records if "Background refresh" in r.getMessage()]

    refresher = AsyncRefresher(failing)
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    async with CommunicationTokenCredential(
        token_at(T0), token_refresher=refresher, proactive_refresh=True
    ) as credential:
        assert await wait_for_condition(logged)
        assert logged() == [
            "Background refresh of the communication token failed (RuntimeError); "
            "retrying at 2024-05-01T11:59:30+00:00"
        ]
        assert credential._timer.interval == 30 and credential._timer.task in our_tasks()
        assert refresher.calls == 1
        assert all(secret not in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_a_second_event_loop_gets_its_own_background_task(clock):
    # asyncio.run() in a thread: a loop of its own, which ends (and kills its tasks) before ours goes on.
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=refresher, proactive_refresh=True
    )
    other = {}

    async def enter_only():
        await credential.__aenter__()
        other["task"] = credential._timer.task

    thread = threading.Thread(target=lambda: asyncio.run(enter_only()))
    thread.start()
    thread.join(10)
    assert other["task"].done()  # that loop is gone, and its task with it
    await credential.get_token()
    assert credential._timer.task is not other["task"] and credential._timer.task in our_tasks()
    await credential.close()


# ---------------------------------------------------------------- close and lifecycle


@pytest.mark.asyncio
async def test_close_cancels_the_task_and_refuses_use_with_the_official_message(clock):
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=AsyncRefresher(lambda: "unused"), proactive_refresh=True
    )
    async with credential:
        task = credential._timer.task
        assert our_tasks() == {task}
    await settle()
    assert task.cancelled() and our_tasks() == set()
    await credential.close()  # idempotent
    with pytest.raises(RuntimeError) as caught:
        await credential.get_token()
    assert str(caught.value) == CLOSED
    with pytest.raises(RuntimeError, match="cannot be reused"):
        async with credential:
            pass


@pytest.mark.asyncio
async def test_without_proactive_refresh_the_credential_stays_usable_after_close(clock):
    refresher = AsyncRefresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    async with CommunicationTokenCredential(token_at(T0), token_refresher=refresher) as credential:
        pass
    assert (await credential.get_token()).token == token_at(T0 + timedelta(hours=1), "fresh")


@pytest.mark.asyncio
async def test_close_during_a_slow_refresh_returns_first_and_drops_the_late_result(clock):
    events = []
    release = asyncio.Event()
    late = token_at(T0 + timedelta(hours=1), "late")

    async def stubborn():
        # Ignores the cancellation close() sends, to show that close() does not wait for it.
        events.append("refresher started")
        try:
            await release.wait()
        except asyncio.CancelledError:
            events.append("refresher cancelled")
            await release.wait()
        events.append("refresher returned")
        return late

    credential = CommunicationTokenCredential(
        token_at(T0 - timedelta(seconds=1), "old"), token_refresher=stubborn, proactive_refresh=True
    )
    waiter = asyncio.ensure_future(credential.get_token())
    await wait_for_condition(lambda: events == ["refresher started"])
    await credential.close()
    events.append("close returned")
    with pytest.raises(RuntimeError) as caught:
        await waiter
    events.append("waiter raised")
    assert str(caught.value) == CLOSED
    release.set()
    await wait_for_condition(lambda: "refresher returned" in events)
    await settle()
    assert events == ["refresher started", "close returned", "refresher cancelled", "waiter raised",
                      "refresher returned"]
    assert credential._current.token == token_at(T0 - timedelta(seconds=1), "old")  # dropped
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_two_hundred_dropped_credentials_keep_no_tasks(clock):
    for _ in range(200):
        CommunicationTokenCredential(
            token_at(T0 + timedelta(hours=1)), token_refresher=AsyncRefresher(lambda: "unused"), proactive_refresh=True
        )
    assert our_tasks() == set()
    credentials = []
    for _ in range(200):
        credential = CommunicationTokenCredential(
            token_at(T0 + timedelta(hours=1)), token_refresher=AsyncRefresher(lambda: "unused"), proactive_refresh=True
        )
        await credential.__aenter__()
        credentials.append(credential)
    tasks = {credential._timer.task for credential in credentials}
    assert len(tasks) == 200 and tasks <= our_tasks()
    del credentials, credential
    gc.collect()
    await settle()
    assert all(task.cancelled() for task in tasks)
    assert our_tasks() == set()


@pytest.mark.asyncio
async def test_repr_and_bad_input():
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token)
    assert token not in repr(credential) and "async" in repr(credential)
    with pytest.raises(ValueError) as caught:
        CommunicationTokenCredential("opaque-secret-token")
    assert str(caught.value) == "Token is not formatted correctly"
    assert "opaque-secret" not in str(caught.value.__cause__)
    with pytest.raises(TypeError) as caught:
        CommunicationTokenCredential(1234)
    assert str(caught.value) == "Token must be a string."
    with pytest.raises(ValueError) as caught:
        CommunicationTokenCredential(token, proactive_refresh=True)
    assert str(caught.value) == "When 'proactive_refresh' is True, 'token_refresher' must not be None."
