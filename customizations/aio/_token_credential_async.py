"""Async CommunicationTokenCredential: the asyncio twin of ``azure.communication.identity``'s credential."""
from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Optional, Union

from azure.core.credentials import AccessToken

from .._token_utils import (
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

AsyncTokenRefresher = Callable[[], Awaitable[Union[str, AccessToken]]]
_SkipCheck = Callable[[CachedToken, datetime], bool]


class CommunicationTokenCredential:
    """A Communication Services user token for async chat and calling clients, kept fresh by a refresher.

    Same rules as the sync credential, with an async ``token_refresher`` (a coroutine function
    returning a JWT str or an ``AccessToken``). Concurrent ``get_token`` calls share one in-flight
    refresh. With ``proactive_refresh`` a background task, started at the first ``get_token`` or
    at ``async with``, refreshes ``refresh_before_expiry`` ahead of expiry; ``await close()``
    cancels it. The credential works on one event loop at a time.
    """

    def __init__(
        self,
        token: str,
        *,
        token_refresher: Optional[AsyncTokenRefresher] = None,
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
        self._closed = False
        # One event loop runs all of this, so plain attributes need no lock: nothing awaits
        # between reading and setting them.
        self._inflight: Optional[asyncio.Task] = None
        self._proactive_task: Optional[asyncio.Task] = None
        self._token_replaced: Optional[asyncio.Event] = None
        self._retry_at: Optional[datetime] = None

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the current token, refreshing it first if it is within 2 minutes of expiry.

        ``scopes`` and keyword arguments are accepted for azure-core compatibility and ignored.
        """
        self._ensure_open()
        self._ensure_proactive_task()
        cached = self._current
        now = self._now()
        if cached.usable(now):
            return cached.access_token()
        if self._refresher is None:
            if cached.expired(now):
                raise no_refresher_error(cached)
            return cached.access_token()
        return await self._refresh_shared(lambda current, moment: current.usable(moment))

    async def close(self) -> None:
        """Cancel the background task and any refresh in flight, and wait for them; idempotent."""
        self._closed = True
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        tasks = [t for t in (self._proactive_task, self._inflight) if t is not None and not t.done() and t is not me]
        self._proactive_task = self._inflight = None
        for task in tasks:
            task.cancel()
        # A task of another (stopped) loop cannot be awaited here; cancelling it is all we can do.
        await asyncio.gather(*(t for t in tasks if t.get_loop() is loop), return_exceptions=True)

    async def __aenter__(self) -> CommunicationTokenCredential:
        self._ensure_open()
        self._ensure_proactive_task()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<{type(self).__name__} (async) expires_on={self._current.expires_on.isoformat()} "
            f"refresher={'yes' if self._refresher else 'no'} proactive_refresh={self._proactive} {state}>"
        )

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        return read_clock(self._clock)

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)

    async def _refresh_shared(self, skip: _SkipCheck) -> AccessToken:
        """Refresh unless ``skip`` says the current token will do; concurrent callers await one task."""
        self._ensure_open()
        loop = asyncio.get_running_loop()
        task = self._inflight
        if task is None or task.get_loop() is not loop:
            cached = self._current
            if skip(cached, self._now()):
                return cached.access_token()
            task = self._inflight = loop.create_task(self._refresh_once())
            task.add_done_callback(_consume_exception)
        # asyncio.wait, unlike awaiting the task, does not cancel the shared refresh when this
        # caller is cancelled.
        await asyncio.wait({task})
        if task.cancelled():
            raise RuntimeError(CLOSED_MESSAGE if self._closed else "the token refresh was cancelled")
        return task.result()

    async def _refresh_once(self) -> AccessToken:
        try:
            pending = self._refresher()
            if not inspect.isawaitable(pending):
                raise TypeError(
                    "the async CommunicationTokenCredential needs an async token_refresher "
                    f"(a coroutine function); this one returned {type(pending).__name__}"
                )
            refreshed = self._current.refreshed(await pending, self._now())
        finally:
            # Cleared before the task completes, so a caller arriving later starts a fresh attempt
            # instead of reusing this one's outcome.
            self._inflight = None
        self._current = refreshed
        self._retry_at = None
        if self._token_replaced is not None:
            self._token_replaced.set()
        _LOGGER.debug("Communication token refreshed; it expires at %s", refreshed.expires_on.isoformat())
        return refreshed.access_token()

    def _ensure_proactive_task(self) -> None:
        if not self._proactive or self._closed:
            return
        loop = asyncio.get_running_loop()
        task = self._proactive_task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._retry_at = None
        self._token_replaced = asyncio.Event()
        self._proactive_task = loop.create_task(self._proactive_loop())
        self._proactive_task.add_done_callback(_consume_exception)

    async def _proactive_loop(self) -> None:
        replaced = self._token_replaced
        while not self._closed:
            cached = self._current
            due = self._retry_at if self._retry_at is not None else cached.proactive_due(self._lead)
            delay = max(0.0, (due - self._now()).total_seconds())
            replaced.clear()
            try:
                await asyncio.wait_for(replaced.wait(), timeout=delay)
                continue  # an on-demand refresh replaced the token: plan again
            except asyncio.TimeoutError:
                pass
            try:
                await self._refresh_shared(_replaced_since(cached.generation))
            except Exception as exc:  # nobody awaits this task, so log instead of raising
                if self._closed:
                    return
                self._retry_at = retry_at = retry_after_failure(self._current, self._now())
                _LOGGER.warning(
                    "Background refresh of the communication token failed (%s); %s",
                    type(exc).__name__,  # type only: the refresher's message might contain a token
                    f"retrying at {retry_at.isoformat()}" if retry_at else "the next get_token() will retry",
                )
                if self._retry_at is None:
                    return  # restarted by the next get_token()


def _replaced_since(generation: int) -> _SkipCheck:
    # A background refresh is moot once another refresh replaced the token it was planned for.
    return lambda current, _now: current.generation != generation


def _consume_exception(task: asyncio.Task) -> None:
    # Callers get the exception through task.result(); this only stops asyncio from logging
    # "exception was never retrieved" when every caller went away first.
    if not task.cancelled():
        task.exception()
