"""The sync CommunicationTokenCredential: caching, on-demand and proactive refresh, back-off, threads.

The credential reads its clock through ``get_current_utc_as_int`` in its own module (as the official
package's does); the ``clock`` fixture patches it there.
"""
import base64
import gc
import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity import _token_credential
from azure.communication.identity._token_credential import THREAD_NAME, CommunicationTokenCredential

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
    """Stands in for ``get_current_utc_as_int``: epoch seconds (fractions allowed) of a settable time."""

    def __init__(self, start=T0):
        self.now = start

    def __call__(self):
        return self.now.timestamp()

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_token_credential, "get_current_utc_as_int", fake)
    return fake


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


def refresh_threads():
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture(autouse=True)
def no_thread_leaks():
    yield
    gc.collect()  # credentials a test dropped cancel their timers when collected
    for thread in refresh_threads():
        thread.join(10)  # a timer that was refreshing when closed ends when its refresher returns
    assert refresh_threads() == []


# ---------------------------------------------------------------- static tokens


def test_static_token_is_returned_as_access_token(clock):
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token)
    result = credential.get_token()
    assert result == AccessToken(token, epoch(T0 + timedelta(hours=1)))
    assert isinstance(result, AccessToken) and isinstance(result.expires_on, int)
    # Scopes and azure-core keywords are accepted and ignored.
    assert credential.get_token("https://communication.azure.com//.default", claims=None) == result
    assert refresh_threads() == []


def test_expired_static_token_is_still_returned_and_logged_once_without_the_token(clock, caplog):
    # As in the official package: the token is handed out (the service will refuse it), never an error.
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    token = token_at(T0 + timedelta(minutes=1))
    credential = CommunicationTokenCredential(token)
    assert credential.get_token().token == token
    assert caplog.records == []
    clock.advance(minutes=1)
    assert credential.get_token().token == token
    assert credential.get_token().token == token
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "expired at 2024-05-01T12:01:00+00:00 and no token_refresher" in warnings[0]
    assert token not in warnings[0]


def test_tokens_the_official_package_reads_are_accepted(clock):
    # The official package reads only the payload, as base64 with whitespace and padding tolerated
    # (its own tests build tokens like this); header and signature are not looked at.
    payload = base64.b64encode(json.dumps({"exp": epoch(T0 + timedelta(hours=1)), "x": "??>>"}).encode()).decode()
    assert "+" in payload or "/" in payload or payload.endswith("=")
    for token in (f"eyJhbGciOiJIUzI1NiJ9.\n        {payload}.sig", f"not-json.{payload}.", f".{payload}.x y"):
        result = CommunicationTokenCredential(token).get_token()
        assert result == AccessToken(token, epoch(T0 + timedelta(hours=1)))


def test_expiry_is_kept_to_the_second_like_access_token(clock):
    token = make_jwt(T0.timestamp() + 3600)
    fractional = token.split(".")
    fractional[1] = b64url(json.dumps({"exp": T0.timestamp() + 3600.9}).encode())
    result = CommunicationTokenCredential(".".join(fractional)).get_token()
    assert result.expires_on == epoch(T0) + 3600


# ---------------------------------------------------------------- on-demand refresh


def test_refresh_window_is_two_minutes_with_the_official_boundary(clock):
    expiry = T0 + timedelta(minutes=10)
    initial = token_at(expiry, "initial")
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(initial, token_refresher=refresher)

    clock.now = expiry - timedelta(minutes=2)  # exactly 2 minutes left: still used, as in the official package
    assert credential.get_token().token == initial
    assert refresher.calls == 0

    clock.now = expiry - timedelta(minutes=2) + timedelta(seconds=1)
    fresh = credential.get_token()
    assert refresher.calls == 1
    assert fresh == AccessToken(token_at(clock.now + timedelta(hours=1), "fresh"), epoch(clock.now) + 3600)
    assert credential.get_token() == fresh
    assert refresher.calls == 1


def test_with_proactive_refresh_get_token_refreshes_within_the_lead_time(clock):
    expiry = T0 + timedelta(minutes=30)
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(expiry, "initial"), token_refresher=refresher, proactive_refresh=True
    )
    clock.now = expiry - timedelta(minutes=10)
    assert credential.get_token().token == token_at(expiry, "initial")
    assert refresher.calls == 0 and credential._timer is None  # nothing armed without a refresh or `with`
    clock.advance(seconds=1)
    assert credential.get_token().token == token_at(clock.now + timedelta(hours=1), "fresh")
    assert refresher.calls == 1
    # The refresh armed the background timer for 10 minutes before the new token's expiry.
    assert credential._timer.interval == 50 * 60
    credential.close()


def test_expired_initial_token_is_refreshed(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    credential = CommunicationTokenCredential(token_at(T0 - timedelta(hours=1)), token_refresher=refresher)
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 1


def test_refresher_may_return_an_access_token(clock):
    expires = epoch(T0 + timedelta(hours=1))
    refresher = Refresher(lambda: AccessToken("opaque-new", expires))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
    assert credential.get_token() == AccessToken("opaque-new", expires)
    clock.advance(minutes=50)
    assert credential.get_token() == AccessToken("opaque-new", expires)
    assert refresher.calls == 1


class ClientShapedToken(NamedTuple):
    token: str
    expires_on: object


@pytest.mark.parametrize(
    "expires_on",
    [
        (T0 + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-5))),  # an aware datetime
        "2024-05-01T13:00:00.0000000+00:00",  # the service's ISO 8601 string, 7 fractional digits
        "2024-05-01T15:00:00+02:00",
    ],
)
def test_refresher_may_return_what_the_identity_client_returns(clock, expires_on):
    refresher = Refresher(lambda: ClientShapedToken("opaque-new", expires_on))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
    assert credential.get_token() == AccessToken("opaque-new", epoch(T0 + timedelta(hours=1)))


def test_nearly_expired_refresh_backs_off_by_half_the_remaining_lifetime(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(seconds=30), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)

    first = credential.get_token()
    assert refresher.calls == 1 and first.expires_on == epoch(T0 + timedelta(seconds=30))
    clock.advance(seconds=14)
    assert credential.get_token() == first  # inside the window, but backing off
    assert refresher.calls == 1
    clock.advance(seconds=1)  # half of the 30 s lifetime has passed
    second = credential.get_token()
    assert refresher.calls == 2 and second != first


def test_backoff_floor_then_refresh_on_expiry(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(seconds=2), f"n{clock.now.timestamp()}"))
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
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
    loops = 0
    while loops < 2000:
        credential.get_token()
        loops += 1
    assert 1 <= refresher.calls <= 2


def test_refresher_returning_an_expired_token_is_the_official_error(clock):
    stale = token_at(T0 - timedelta(seconds=10), "stale")
    refresher = Refresher(lambda: stale)
    initial = token_at(T0 + timedelta(minutes=1), "initial")
    credential = CommunicationTokenCredential(initial, token_refresher=refresher)
    with pytest.raises(ValueError) as caught:
        credential.get_token()
    assert str(caught.value) == "The token returned from the token_refresher is expired."
    # The precise reason rides along as the cause; neither names the token.
    assert "already expired at 2024-05-01T11:59:50+00:00 (10 s ago)" in str(caught.value.__cause__)
    for text in (str(caught.value), str(caught.value.__cause__)):
        assert stale not in text and initial not in text
    assert refresher.calls == 1
    # The credential keeps its token and tries again on the next call (one call per call, no loop).
    refresher.produce = lambda: token_at(clock.now + timedelta(hours=1), "fresh")
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 2


def test_refresher_returning_garbage(clock):
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=lambda: "not-a-jwt-secret")
    with pytest.raises(ValueError, match="token_refresher returned an invalid token") as caught:
        credential.get_token()
    assert "not-a-jwt-secret" not in str(caught.value)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=lambda: 12)
    with pytest.raises(TypeError, match="not int"):
        credential.get_token()


def test_refresher_raising_propagates_and_the_next_attempt_works(clock):
    outcomes = [ConnectionError("service down"), token_at(T0 + timedelta(hours=1), "fresh")]

    def produce():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    refresher = Refresher(produce)
    credential = CommunicationTokenCredential(token_at(T0), token_refresher=refresher)
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


def test_fifty_threads_cause_one_refresher_call_and_all_get_the_new_token(clock):
    fresh = token_at(T0 + timedelta(hours=1), "fresh")

    def slow():
        time.sleep(0.2)  # keep the refresh in flight while the other threads pile up
        return fresh

    refresher = Refresher(slow)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher)
    results = run_in_threads(50, credential.get_token)
    assert refresher.calls == 1
    assert all(isinstance(r, AccessToken) and r.token == fresh for r in results)


def test_concurrent_callers_share_a_failure_and_the_credential_recovers(clock):
    gate = threading.Event()

    def failing():
        gate.wait(5)
        raise ConnectionError("down")

    refresher = Refresher(failing)
    credential = CommunicationTokenCredential(token_at(T0, "old"), token_refresher=refresher)
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


def test_no_thread_until_with_or_a_refresh(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=2), "fresh"))
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=refresher, proactive_refresh=True
    )
    assert credential._timer is None and refresh_threads() == []
    credential.get_token()
    assert credential._timer is None and refresh_threads() == []
    with credential:
        # Armed for 10 minutes before expiry, on the credential's clock.
        assert credential._timer.interval == 50 * 60
        assert refresh_threads() == [credential._timer]
    assert credential._timer is None
    assert refresh_threads() == []  # close() joined the waiting timer
    assert refresher.calls == 0


def test_within_the_lead_time_the_timer_waits_half_the_remaining_lifetime(clock):
    # The official package's fractional backoff: 5 minutes left -> in 150 s; refreshed to a token
    # with 150 s left -> in 75 s.
    token = token_at(T0 + timedelta(minutes=5))
    refresher = Refresher(lambda: token)
    with CommunicationTokenCredential(token, token_refresher=refresher, proactive_refresh=True) as credential:
        assert credential._timer.interval == 150
        clock.advance(seconds=150)
        credential.get_token()
        assert refresher.calls == 1
        assert credential._timer.interval == 75


def test_the_timer_refreshes_in_the_background_and_rearms(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    # Due at once: the initial token has expired.
    with CommunicationTokenCredential(
        token_at(T0 - timedelta(seconds=1)), token_refresher=refresher, proactive_refresh=True
    ) as credential:
        first_timer = credential._timer
        assert refresher.called.wait(10)
        assert wait_until(lambda: credential._timer is not first_timer)
        assert credential._timer.interval == 50 * 60
        first_timer.join(10)
        assert refresh_threads() == [credential._timer]
        assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
        assert refresher.calls == 1


def test_custom_lead_time(clock):
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    with CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=refresher, proactive_refresh=True,
        refresh_before_expiry=timedelta(minutes=25),
    ) as credential:
        assert credential._timer.interval == 35 * 60
        clock.advance(minutes=35, seconds=1)  # get_token itself refreshes within the lead time too
        credential.get_token()
        assert refresher.calls == 1


def test_background_failure_is_logged_without_secrets_and_retried_later(clock, caplog):
    secret = token_at(T0, "secret-in-message")

    def failing():
        clock.now = T0 - timedelta(seconds=60)  # when it fails, the token has 60 s left
        raise RuntimeError(f"refresh failed for {secret}")

    def logged():
        return [r.getMessage() for r in caplog.records if "Background refresh" in r.getMessage()]

    refresher = Refresher(failing)
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    # Armed with the token already expired on the clock: due at once.
    with CommunicationTokenCredential(token_at(T0), token_refresher=refresher, proactive_refresh=True) as credential:
        assert wait_until(logged)
        assert logged() == [
            "Background refresh of the communication token failed (RuntimeError); "
            "retrying at 2024-05-01T11:59:30+00:00"
        ]
        assert credential._timer.interval == 30  # retried after half the remaining lifetime, not at once
        assert refresher.calls == 1
        assert all(secret not in r.getMessage() for r in caplog.records)
        # Still usable on demand.
        refresher.produce = lambda: token_at(clock.now + timedelta(hours=1), "fresh")
        assert credential.get_token().token == token_at(T0 + timedelta(minutes=59), "fresh")


def test_without_a_thread_to_spare_the_credential_refreshes_on_demand(clock, monkeypatch, caplog):
    def no_threads_left(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_token_credential._RefreshTimer, "start", no_threads_left)
    caplog.set_level(logging.WARNING, logger="azure.communication.identity")
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    with CommunicationTokenCredential(
        token_at(T0 + timedelta(minutes=5)), token_refresher=refresher, proactive_refresh=True
    ) as credential:
        assert credential._timer is None
        assert "Could not start the background refresh" in caplog.records[0].getMessage()
        assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 1


# ---------------------------------------------------------------- close and lifecycle


def test_close_refuses_further_use_with_the_official_message(clock):
    credential = CommunicationTokenCredential(
        token_at(T0 + timedelta(hours=1)), token_refresher=lambda: "unused", proactive_refresh=True
    )
    credential.__enter__()
    assert len(refresh_threads()) == 1
    credential.close()
    assert refresh_threads() == []
    credential.close()  # idempotent
    with pytest.raises(RuntimeError) as caught:
        credential.get_token()
    assert str(caught.value) == CLOSED
    with pytest.raises(RuntimeError, match="cannot be reused once it has been closed"):
        with credential:
            pass
    assert "closed" in repr(credential)


def test_without_proactive_refresh_close_has_nothing_to_stop_and_the_credential_stays_usable(clock):
    # What the official package does: a closed credential without a timer keeps handing out tokens,
    # so code that closes it early (leaving a `with` block) and uses it later keeps working.
    refresher = Refresher(lambda: token_at(clock.now + timedelta(hours=1), "fresh"))
    with CommunicationTokenCredential(token_at(T0 + timedelta(minutes=1)), token_refresher=refresher) as credential:
        pass
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    with credential:
        assert credential.get_token().token == token_at(T0 + timedelta(hours=1), "fresh")
    assert refresher.calls == 1


def test_close_during_a_slow_refresh_returns_first_and_drops_the_late_result(clock):
    events = []
    release = threading.Event()
    late = token_at(T0 + timedelta(hours=1), "late")

    def slow():
        events.append("refresher started")
        release.wait(30)
        events.append("refresher returned")
        return late

    credential = CommunicationTokenCredential(
        token_at(T0 - timedelta(seconds=1), "old"), token_refresher=slow, proactive_refresh=True
    )
    credential.__enter__()  # the timer is due at once and calls the refresher in its thread
    firing = credential._timer
    assert wait_until(lambda: events == ["refresher started"])
    waiter_outcome = []
    waiter = threading.Thread(target=lambda: waiter_outcome.append(_outcome(credential.get_token)))
    waiter.start()
    assert wait_until(lambda: credential._inflight is not None and waiter.is_alive())

    closer = threading.Thread(target=lambda: (credential.close(), events.append("close returned")))
    closer.start()
    closer.join(10)
    waiter.join(10)
    events.append("waiter returned")
    release.set()
    firing.join(10)
    # close() and the waiting caller returned while the refresher was still running.
    assert events == ["refresher started", "close returned", "waiter returned", "refresher returned"]
    assert isinstance(waiter_outcome[0], RuntimeError) and str(waiter_outcome[0]) == CLOSED
    # The late token was dropped, and no timer was armed for it.
    assert credential._current.token == token_at(T0 - timedelta(seconds=1), "old")
    assert credential._timer is None and refresh_threads() == []


def _outcome(call):
    try:
        return call()
    except Exception as exc:  # returned for the assertions
        return exc


def test_close_from_inside_the_refresher_in_the_timer_thread(clock):
    holder = {}

    def closing_refresher():
        holder["credential"].close()
        return token_at(T0 + timedelta(hours=1))

    refresher = Refresher(closing_refresher)
    holder["credential"] = CommunicationTokenCredential(
        token_at(T0 - timedelta(seconds=1)), token_refresher=refresher, proactive_refresh=True
    )
    holder["credential"].__enter__()
    firing = holder["credential"]._timer
    assert refresher.called.wait(10)
    firing.join(10)
    assert not firing.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        holder["credential"].get_token()


def test_two_hundred_dropped_credentials_leave_no_threads(clock):
    # Constructed only: nothing is armed, so there is no thread at all.
    for _ in range(200):
        CommunicationTokenCredential(
            token_at(T0 + timedelta(hours=1)), token_refresher=lambda: "unused", proactive_refresh=True
        )
    assert refresh_threads() == []
    # Armed (entered, never closed), then dropped: each timer holds its credential only weakly and
    # is cancelled when the credential is collected.
    credentials = []
    for _ in range(200):
        credential = CommunicationTokenCredential(
            token_at(T0 + timedelta(hours=1)), token_refresher=lambda: "unused", proactive_refresh=True
        )
        credential.__enter__()
        credentials.append(credential)
    timers = [credential._timer for credential in credentials]
    assert all(timer.is_alive() for timer in timers)
    del credentials, credential
    gc.collect()
    for timer in timers:
        timer.join(10)
    assert not any(timer.is_alive() for timer in timers)
    assert refresh_threads() == []


def test_repr_never_shows_the_token(clock):
    token = token_at(T0 + timedelta(hours=1))
    credential = CommunicationTokenCredential(token, token_refresher=lambda: token, proactive_refresh=True)
    text = repr(credential)
    assert token not in text and token.split(".")[1] not in text
    assert "2024-05-01T13:00:00+00:00" in text and "open" in text
    # The AccessToken it hands out is azure-core's type, with a repr that hides the token.
    result = credential.get_token()
    assert type(result).__mro__[1] is AccessToken
    assert token not in repr(result) and token not in str(result)


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "token, error, message, reason",
    [
        (None, TypeError, "Token must be a string.", "token must be a str, not NoneType"),
        (454, TypeError, "Token must be a string.", "not int"),
        ("super-secret-opaque-token", ValueError, "Token is not formatted correctly", "found 1"),
        ("foo.bar.tar", ValueError, "Token is not formatted correctly", "payload segment is not base64url"),
        ("a." + b64url(b'{"sub": "secret"}') + ".c", ValueError, "Token is not formatted correctly", "no 'exp'"),
    ],
)
def test_bad_tokens_raise_the_official_errors_with_a_precise_cause(token, error, message, reason):
    with pytest.raises(error) as caught:
        CommunicationTokenCredential(token)
    assert str(caught.value) == message
    assert reason in str(caught.value.__cause__)
    if isinstance(token, str):
        assert token not in str(caught.value.__cause__) and "secret" not in str(caught.value.__cause__)


def test_proactive_refresh_without_a_refresher_is_the_official_error():
    for kwargs in ({"proactive_refresh": True}, {"proactive_refresh": True, "token_refresher": None}):
        with pytest.raises(ValueError) as caught:
            CommunicationTokenCredential(token_at(T0), **kwargs)
        assert str(caught.value) == "When 'proactive_refresh' is True, 'token_refresher' must not be None."


def test_arguments_the_official_package_accepts_are_accepted(clock):
    # Unknown keywords are ignored and proactive_refresh is taken for its truth value, as there.
    credential = CommunicationTokenCredential(token_at(T0 + timedelta(hours=1)), unknown_option=1)
    assert credential.get_token().token == token_at(T0 + timedelta(hours=1))
    assert CommunicationTokenCredential(token_at(T0), token_refresher=lambda: "x", proactive_refresh=1)._proactive
    assert not CommunicationTokenCredential(token_at(T0), proactive_refresh=None)._proactive
    with pytest.raises(TypeError):
        CommunicationTokenCredential(token_at(T0), lambda: "x")  # the refresher is keyword-only there too


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"token_refresher": "nope"}, TypeError, "token_refresher must be callable"),
        ({"refresh_before_expiry": 600}, TypeError, "must be a datetime.timedelta"),
        ({"refresh_before_expiry": timedelta(0)}, ValueError, "positive"),
    ],
)
def test_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        CommunicationTokenCredential(token_at(T0), **kwargs)
