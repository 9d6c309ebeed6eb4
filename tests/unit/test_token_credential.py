"""The sync CommunicationTokenCredential: caching, on-demand and proactive refresh, back-off, threads."""
import base64
import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity._token_credential import CommunicationTokenCredential

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
THREAD_NAME = "CommunicationTokenCredential-refresh"


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


class Refresher:
    """Counts calls and returns whatever ``produce`` makes of the current fake time."""

    def __init__(self, produce):
        self.produce = produce
        self.calls = 0
        self.called = threading.Event()
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        try:
            return self.produce()
        finally:
            self.called.set()


def live_refresh_threads():
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture(autouse=True)
def no_thread_leaks():
    yield
    assert live_refresh_threads() == []


# ---------------------------------------------------------------- static tokens


def test_static_token_is_returned_as_access_token():
    clock = FakeClock()
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token, _clock=clock)
    result = credential.get_token()
    assert result == AccessToken(token, int((T0 + timedelta(hours=1)).timestamp()))
    assert isinstance(result.expires_on, int)
    # Scopes and azure-core keywords are accepted and ignored.
    assert credential.get_token("https://communication.azure.com//.default", claims=None) == result
    assert live_refresh_threads() == []


def test_static_token_inside_window_is_still_returned_then_expires_clearly():
    clock = FakeClock()
    expiry = T0 + timedelta(minutes=1)
    token = token_at(expiry)
    credential = CommunicationTokenCredential(token, _clock=clock)
    assert credential.get_token().token == token  # nothing to refresh with: still valid, so use it
    clock.advance(minutes=1)
    with pytest.raises(ValueError, match=r"expired at 2024-05-01T12:01:00\+00:00 and no token_refresher") as caught:
        credential.get_token()
    assert token not in str(caught.value)


def test_epoch_float_clock_is_accepted():
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token, _clock=T0.timestamp)
    assert credential.get_token().token == token


# ---------------------------------------------------------------- on-demand refresh


def test_refresh_at_the_two_minute_window_boundary():
    clock = FakeClock()
    expiry = T0 + timedelta(minutes=10)
    initial = token_at(expiry, "initial")
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(initial, token_refresher=refresher, _clock=clock)

    clock.now = expiry - timedelta(minutes=2, seconds=1)  # just over 2 minutes left
    assert credential.get_token().token == initial
    assert refresher.calls == 0

    clock.now = expiry - timedelta(minutes=2) + timedelta(seconds=1)  # just under 2 minutes left
    fresh = credential.get_token()
    assert refresher.calls == 1
    assert fresh.token == token_at(clock.now + timedelta(hours=1), "fresh")
    assert fresh.expires_on == int((clock.now + timedelta(hours=1)).timestamp())
    assert credential.get_token() == fresh
    assert refresher.calls == 1


def test_expired_initial_token_is_refreshed():
    clock = FakeClock()
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    initial = token_at(T0 - timedelta(hours=1))
    credential = CommunicationTokenCredential(initial, token_refresher=refresher, _clock=clock)
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 1


def test_refresher_may_return_an_access_token():
    clock = FakeClock()
    expires = int((T0 + timedelta(hours=1)).timestamp())
    refresher = Refresher(lambda: AccessToken("opaque-new", expires))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)
    assert credential.get_token() == AccessToken("opaque-new", expires)
    clock.advance(minutes=50)
    assert credential.get_token() == AccessToken("opaque-new", expires)
    assert refresher.calls == 1


def test_refresher_may_return_an_access_token_with_an_aware_datetime_expiry():
    # The shape of CommunicationIdentityClient.get_token's result, so it can be the refresher directly.
    class DatetimeAccessToken(NamedTuple):
        token: str
        expires_on: datetime

    clock = FakeClock()
    expiry = T0 + timedelta(hours=1)
    refresher = Refresher(lambda: DatetimeAccessToken("opaque-new", expiry.astimezone(timezone(timedelta(hours=-5)))))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)
    assert credential.get_token() == AccessToken("opaque-new", int(expiry.timestamp()))


def test_nearly_expired_refresh_backs_off_by_half_the_remaining_lifetime():
    clock = FakeClock()
    refresher = Refresher(lambda: token_at(clock.now + timedelta(seconds=30), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)

    first = credential.get_token()
    assert refresher.calls == 1 and first.expires_on == int((T0 + timedelta(seconds=30)).timestamp())
    clock.advance(seconds=14)
    assert credential.get_token() == first  # inside the window, but backing off
    assert refresher.calls == 1
    clock.advance(seconds=1)  # half of the 30 s lifetime has passed
    second = credential.get_token()
    assert refresher.calls == 2 and second != first


def test_backoff_floor_then_refresh_on_expiry():
    clock = FakeClock()
    refresher = Refresher(lambda: token_at(clock.now + timedelta(seconds=2), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)
    credential.get_token()
    clock.advance(seconds=0.9)
    credential.get_token()
    assert refresher.calls == 1  # 1 s floor (half of 2 s)
    clock.advance(seconds=0.1)
    credential.get_token()
    assert refresher.calls == 2


def test_real_time_loop_against_a_30_second_refresher_calls_it_at_most_twice():
    def thirty_seconds():
        return make_jwt(time.time() + 30)

    refresher = Refresher(thirty_seconds)
    credential = CommunicationTokenCredential(thirty_seconds(), token_refresher=refresher)
    started = time.monotonic()
    loops = 0
    while time.monotonic() - started < 1.0:
        credential.get_token()
        loops += 1
    assert loops > 100
    assert 1 <= refresher.calls <= 2


def test_refresher_returning_an_expired_token_is_a_clear_error():
    clock = FakeClock()
    stale = token_at(T0 - timedelta(seconds=10), "stale")
    refresher = Refresher(lambda: stale)
    initial = token_at(T0 + timedelta(minutes=1), "initial")
    credential = CommunicationTokenCredential(initial, token_refresher=refresher, _clock=clock)
    with pytest.raises(ValueError, match="token_refresher returned a token that already expired") as caught:
        credential.get_token()
    assert stale not in str(caught.value) and initial not in str(caught.value)
    assert refresher.calls == 1
    # The credential keeps its token and tries again on the next call (one call per call, no loop).
    refresher.produce = lambda: token_at(clock.now + timedelta(hours=1), "fresh")
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


def test_refresher_returning_garbage():
    clock = FakeClock()
    credential = CommunicationTokenCredential(
        token_at(T0), token_refresher=lambda: "not-a-jwt-secret", _clock=clock
    )
    with pytest.raises(ValueError, match="token_refresher returned an invalid token") as caught:
        credential.get_token()
    assert "not-a-jwt-secret" not in str(caught.value)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=lambda: 12, _clock=clock)
    with pytest.raises(TypeError, match="not int"):
        credential.get_token()


def test_refresher_raising_propagates_and_the_next_attempt_works():
    clock = FakeClock()
    outcomes = [ConnectionError("service down"), token_at(T0 + timedelta(hours=1), "fresh")]

    def produce():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    refresher = Refresher(produce)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher, _clock=clock)
    with pytest.raises(ConnectionError, match="service down"):
        credential.get_token()
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


# ---------------------------------------------------------------- concurrency


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        barrier.wait()
        try:
            results[index] = target()
        except BaseException as exc:  # collected for the assertions
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_fifty_threads_cause_one_refresher_call_and_all_get_the_new_token():
    clock = FakeClock()
    fresh = token_at(T0 + timedelta(hours=1), "fresh")

    def slow():
        time.sleep(0.2)  # keep the refresh in flight while the other threads pile up
        return fresh

    refresher = Refresher(slow)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher, _clock=clock)
    results = run_in_threads(50, credential.get_token)
    assert refresher.calls == 1
    assert all(isinstance(r, AccessToken) and r.token == fresh for r in results)


def test_concurrent_callers_share_a_failure_and_the_credential_recovers():
    clock = FakeClock()
    gate = threading.Event()

    def failing():
        gate.wait(5)
        raise ConnectionError("down")

    refresher = Refresher(failing)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher, _clock=clock)
    timer = threading.Timer(0.2, gate.set)
    timer.start()
    results = run_in_threads(20, credential.get_token)
    timer.join()
    assert all(isinstance(r, ConnectionError) for r in results)
    # Callers that arrived while the refresh was in flight got its outcome instead of retrying.
    assert refresher.calls < 20
    refresher.produce = lambda: token_at(T0 + timedelta(hours=1), "fresh")
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")


# ---------------------------------------------------------------- proactive refresh


def test_proactive_refresh_happens_before_a_short_real_token_expires():
    expiry = int(time.time()) + 3
    seen = {}

    def produce():
        seen["at"] = time.time()
        return make_jwt(time.time() + 3600)

    refresher = Refresher(produce)
    credential = CommunicationTokenCredential(
        make_jwt(expiry), token_refresher=refresher, proactive_refresh=True,
        refresh_before_expiry=timedelta(seconds=1.5),
    )
    try:
        assert refresher.called.wait(5)
        assert seen["at"] < expiry
        assert credential.get_token().expires_on > expiry + 3000
        assert refresher.calls == 1
        # Re-armed for the new token, far in the future (the old timer thread is on its way out).
        assert wait_until(lambda: len(live_refresh_threads()) == 1)
    finally:
        credential.close()
    assert live_refresh_threads() == []


def test_proactive_refresh_is_scheduled_refresh_before_expiry_ahead_on_the_injected_clock():
    expiry = T0 + timedelta(hours=1)
    clock = FakeClock(expiry - timedelta(minutes=10) - timedelta(seconds=0.05))
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    with CommunicationTokenCredential(
        token_at(expiry), token_refresher=refresher, proactive_refresh=True, _clock=clock
    ) as credential:
        assert refresher.called.wait(5)
        assert credential.get_token().token == token_at(clock.now + timedelta(hours=1), "fresh")
        assert refresher.calls == 1


def test_proactive_refresh_waits_until_the_lead_time():
    clock = FakeClock()
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(minutes=10, seconds=30)), token_refresher=refresher, proactive_refresh=True,
        _clock=clock,
    )
    try:
        # Due in 30 s of (real) timer time; nothing happens in the meantime.
        assert not refresher.called.wait(0.3)
        assert refresher.calls == 0
    finally:
        credential.close()


def test_proactive_refresh_backs_off_against_a_30_second_refresher():
    clock = FakeClock()
    refresher = Refresher(lambda: token_at(clock.now + timedelta(seconds=30), "short"))
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(seconds=30)), token_refresher=refresher, proactive_refresh=True, _clock=clock
    )
    try:
        assert refresher.called.wait(5)  # already inside the 10-minute lead: refreshed at once
        time.sleep(0.5)
        assert refresher.calls == 1  # next one only after 15 s, not in a loop
    finally:
        credential.close()


def test_background_failure_is_logged_without_secrets_and_retried_later(caplog):
    clock = FakeClock()
    secret = token_at(T0, "secret-in-message")

    def failing():
        raise RuntimeError(f"refresh failed for {secret}")

    refresher = Refresher(failing)
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(minutes=1)), token_refresher=refresher, proactive_refresh=True, _clock=clock
    )
    try:
        assert refresher.called.wait(5)
        time.sleep(0.3)
        assert refresher.calls == 1  # retry scheduled 30 s later, not immediately
        messages = [r.getMessage() for r in caplog.records]
        assert any("Background refresh of the communication token failed (RuntimeError)" in m for m in messages)
        assert all(secret not in m for m in messages)
        # Still usable on demand.
        refresher.produce = lambda: token_at(clock.now + timedelta(hours=1), "fresh")
        assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    finally:
        credential.close()


# ---------------------------------------------------------------- close and lifecycle


def test_close_stops_the_timer_thread():
    before = set(threading.enumerate())
    credential = CommunicationTokenCredential(
        token_at(datetime.now(UTC) + timedelta(hours=1)), token_refresher=lambda: "unused", proactive_refresh=True
    )
    assert len(live_refresh_threads()) == 1
    credential.close()
    assert live_refresh_threads() == []
    assert set(threading.enumerate()) <= before
    credential.close()  # idempotent
    with pytest.raises(RuntimeError, match="CommunicationTokenCredential is closed"):
        credential.get_token()
    with pytest.raises(RuntimeError, match="is closed"):
        with credential:
            pass


def test_context_manager_closes():
    with CommunicationTokenCredential(
        token_at(datetime.now(UTC) + timedelta(hours=1)), token_refresher=lambda: "unused", proactive_refresh=True
    ) as credential:
        assert len(live_refresh_threads()) == 1
    assert live_refresh_threads() == []
    with pytest.raises(RuntimeError, match="closed"):
        credential.get_token()


def test_close_from_inside_the_refresher_in_the_timer_thread():
    holder = {}

    def closing_refresher():
        holder["credential"].close()
        return make_jwt(time.time() + 3600)

    refresher = Refresher(closing_refresher)
    holder["credential"] = CommunicationTokenCredential(
        make_jwt(time.time() + 60), token_refresher=refresher, proactive_refresh=True
    )
    assert refresher.called.wait(5)
    for thread in threading.enumerate():
        if thread.name == THREAD_NAME:
            thread.join(5)
    with pytest.raises(RuntimeError, match="closed"):
        holder["credential"].get_token()


def test_repr_never_shows_the_token():
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token, token_refresher=lambda: token, _clock=FakeClock())
    text = repr(credential)
    assert token not in text and token.split(".")[1] not in text
    assert "2024-05-01T13:00:00+00:00" in text and "open" in text
    # The AccessToken it hands out is azure-core's type, with a repr that hides the token.
    result = credential.get_token()
    assert type(result).__mro__[1] is AccessToken
    assert token not in repr(result) and token not in str(result)
    credential.close()
    assert "closed" in repr(credential)


# ---------------------------------------------------------------- argument validation


def test_non_jwt_initial_token_is_a_value_error_without_echo():
    with pytest.raises(ValueError, match="not a JWT") as caught:
        CommunicationTokenCredential("super-secret-opaque-token")
    assert "super-secret" not in str(caught.value)
    with pytest.raises(TypeError, match="token must be a str"):
        CommunicationTokenCredential(None)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"proactive_refresh": True}, ValueError, "needs a token_refresher"),
        ({"token_refresher": "nope"}, TypeError, "token_refresher must be callable"),
        ({"token_refresher": lambda: "x", "proactive_refresh": "yes"}, TypeError, "proactive_refresh must be a bool"),
        ({"refresh_before_expiry": 600}, TypeError, "must be a datetime.timedelta"),
        ({"refresh_before_expiry": timedelta(0)}, ValueError, "positive"),
    ],
)
def test_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        CommunicationTokenCredential(token_at(T0), **kwargs)
