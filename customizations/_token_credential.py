"""CommunicationTokenCredential: hands out a Communication Services token, refreshing it when needed."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any, Callable, List, Optional, Union

from azure.core.credentials import AccessToken

from ._token_utils import (
    CLOSED_MESSAGE,
    CachedToken,
    Clock,
    no_refresher_error,
    read_clock,
    retry_after_failure,
    utc_now,
    validate_options,
)

_LOGGER = logging.getLogger(__name__)

TokenRefresher = Callable[[], Union[str, AccessToken]]
_SkipCheck = Callable[[CachedToken, datetime], bool]


class CommunicationTokenCredential:
    """A Communication Services user token for chat and calling clients, kept fresh by a refresher.

    :param str token: the initial access token (a JWT; its ``exp`` claim gives its expiry).
    :keyword token_refresher: zero-argument callable returning a new token, as a JWT str or an
        ``azure.core.credentials.AccessToken``. Without it the token is static.
    :keyword bool proactive_refresh: refresh in a background timer ``refresh_before_expiry`` ahead of
        expiry instead of only when ``get_token`` finds the token within 2 minutes of expiry.
    :keyword timedelta refresh_before_expiry: lead time of proactive refreshes (default 10 minutes).

    ``get_token`` returns the cached token while it is valid for more than 2 minutes. Concurrent
    callers share one refresher call. After a refresh the refresher is not called again before half
    of the new token's remaining lifetime has passed (at least 1 s, at most until it expires), so a
    refresher that keeps returning short-lived tokens is never hammered. Call ``close()`` (or use
    ``with``) to stop the background timer.
    """

    def __init__(
        self,
        token: str,
        *,
        token_refresher: Optional[TokenRefresher] = None,
        proactive_refresh: bool = False,
        refresh_before_expiry: timedelta = timedelta(minutes=10),
        _clock: Clock = utc_now,
    ) -> None:
        validate_options(token_refresher, proactive_refresh, refresh_before_expiry)
        self._current = CachedToken.initial(token)
        self._refresher = token_refresher
        self._proactive = proactive_refresh
        self._lead = refresh_before_expiry
        self._clock = _clock
        # _state_lock guards the fields below and is only held briefly, never while the refresher runs.
        self._state_lock = threading.Lock()
        self._closed = False
        self._inflight: Optional[Future] = None
        self._retry_at: Optional[datetime] = None
        self._timer: Optional[threading.Timer] = None
        # Every timer thread started and maybe still running, so close() can join them all.
        self._timers: List[threading.Timer] = []
        if proactive_refresh:
            self._arm_timer()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the current token, refreshing it first if it is within 2 minutes of expiry.

        ``scopes`` and keyword arguments are accepted for azure-core compatibility and ignored:
        a Communication Services token carries its own scopes.
        """
        self._ensure_open()
        cached = self._current
        now = self._now()
        if cached.usable(now):
            return cached.access_token()
        if self._refresher is None:
            if cached.expired(now):
                raise no_refresher_error(cached)
            return cached.access_token()
        return self._refresh_shared(lambda current, moment: current.usable(moment))

    def close(self) -> None:
        """Stop background refreshing and wait for the timer thread to finish; idempotent."""
        with self._state_lock:
            self._closed = True
            timers, self._timers, self._timer = self._timers, [], None
        me = threading.current_thread()
        for timer in timers:
            timer.cancel()
        for timer in timers:
            if timer is not me:  # close() may be called from the refresher in the timer thread
                timer.join()

    def __enter__(self) -> CommunicationTokenCredential:
        self._ensure_open()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<{type(self).__name__} expires_on={self._current.expires_on.isoformat()} "
            f"refresher={'yes' if self._refresher else 'no'} proactive_refresh={self._proactive} {state}>"
        )

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        return read_clock(self._clock)

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)

    def _refresh_shared(self, skip: _SkipCheck) -> AccessToken:
        """Refresh unless ``skip`` says the current token will do; concurrent callers share one call.

        The first caller becomes the leader and calls the refresher; the others wait on its future
        and get the same token, or the same exception.
        """
        with self._state_lock:
            self._ensure_open()
            cached = self._current
            if skip(cached, self._now()):
                return cached.access_token()
            future = self._inflight
            leader = future is None
            if leader:
                future = self._inflight = Future()
        if not leader:
            return future.result()
        try:
            refreshed = self._call_refresher()
        except BaseException as exc:
            with self._state_lock:
                self._inflight = None
            future.set_exception(exc)
            raise
        with self._state_lock:
            self._current = refreshed
            self._retry_at = None
            self._inflight = None
        _LOGGER.debug("Communication token refreshed; it expires at %s", refreshed.expires_on.isoformat())
        self._arm_timer()
        token = refreshed.access_token()
        future.set_result(token)
        return token

    def _call_refresher(self) -> CachedToken:
        result = self._refresher()
        return self._current.refreshed(result, self._now())

    def _arm_timer(self) -> None:
        """(Re)schedule the background refresh for the current token (or the pending retry)."""
        with self._state_lock:
            if self._closed or not self._proactive:
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            cached = self._current
            due = self._retry_at if self._retry_at is not None else cached.proactive_due(self._lead)
            delay = max(0.0, (due - self._now()).total_seconds())
            timer = threading.Timer(delay, self._on_timer, args=(cached.generation,))
            timer.daemon = True
            timer.name = "CommunicationTokenCredential-refresh"
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            self._timer = timer
            timer.start()

    def _on_timer(self, generation: int) -> None:
        if self._closed:
            return
        try:
            # Skip when a refresh already replaced the token this timer was armed for.
            self._refresh_shared(lambda current, _now: current.generation != generation)
        except Exception as exc:  # the refresher's errors cannot propagate from a timer thread
            if self._closed:
                return
            with self._state_lock:
                self._retry_at = retry_after_failure(self._current, self._now())
                retry_at = self._retry_at
            # Type only: the refresher's message might contain a token.
            _LOGGER.warning(
                "Background refresh of the communication token failed (%s); %s",
                type(exc).__name__,
                f"retrying at {retry_at.isoformat()}" if retry_at else "the next get_token() will retry",
            )
            if retry_at is not None:
                self._arm_timer()
            else:
                with self._state_lock:
                    self._timer = None
