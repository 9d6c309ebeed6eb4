"""Async CommunicationTokenCredential: the asyncio twin of ``azure.communication.identity``'s credential.

This module is also ``azure.communication.identity._shared.user_credential_async``, the official
package's path for it (the same module object, so patching ``get_current_utc_as_int`` there moves
this credential's clock). As in the sync twin, where tokens come from is one callable, ``self._fetch``:
the user's ``token_refresher``, the exchange of a user's Entra ID token
(``_token_exchange_async.AsyncTokenExchange``), or None for a static token.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import os
import weakref
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Iterable, NamedTuple, Optional, Union

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential

from .._token_exchange import NO_TOKEN, token_source
from .._token_utils import (
    CLOSED_MESSAGE,
    CachedToken,
    check_options,
    create_access_token,
    get_current_utc_as_int,
    log_background_failure,
    on_demand_window,
    read_clock,
    replaced_since,
    retry_after_failure,
    static_token_expired,
)
from ._token_exchange_async import AsyncTokenExchange

__all__ = ["CommunicationTokenCredential", "create_access_token", "get_current_utc_as_int"]

_LOGGER = logging.getLogger(__name__)

AsyncTokenRefresher = Callable[[], Union[Awaitable[Union[str, AccessToken]], str, AccessToken]]
_SkipCheck = Callable[[CachedToken, datetime], bool]


class _Refresh(NamedTuple):
    future: asyncio.Future  # what every caller waits for
    task: asyncio.Task  # calls the token source; nobody awaits it directly, so no caller can cancel it


class CommunicationTokenCredential:
    """A Communication Services user token for async chat and calling clients, kept fresh by a refresher or by
    exchanging a user's Entra ID token.

    Same arguments, forms and rules as the sync credential. In the exchange form
    (``resource_endpoint=``, ``token_credential=``, ``scopes=``), ``token_credential`` is an async
    credential (azure-identity's ``aio`` ones) or a sync one, called through azure-core's
    ``AsyncBearerTokenCredentialPolicy``; ``await close()`` closes the exchange's pipeline.

    ``token_refresher`` is a coroutine function returning an ``AccessToken`` or a JWT str (a plain
    function is accepted too; it runs on the event loop, so it must not block). Concurrent
    ``get_token`` calls share one in-flight refresh. With ``proactive_refresh`` a background task,
    started by ``async with`` and after every refresh, refreshes ``refresh_before_expiry`` ahead of
    expiry; ``await close()`` cancels it and any refresh in flight without waiting for them (a late
    result is dropped). A credential nobody references any more keeps no task alive. The credential
    works on one event loop at a time; on another loop, or in a forked child, it starts its
    background task again at the next ``get_token``. The exchange form opens a pipeline for each
    exchange and closes it when the exchange ends, so nothing of one loop is used on another.
    """

    def __init__(
        self,
        token: str = NO_TOKEN,
        *,
        token_refresher: Optional[AsyncTokenRefresher] = None,
        proactive_refresh: bool = False,
        refresh_before_expiry: timedelta = timedelta(minutes=10),
        resource_endpoint: Optional[str] = None,
        token_credential: Union[AsyncTokenCredential, TokenCredential, None] = None,
        scopes: Optional[Iterable[str]] = None,
        **kwargs: Any,
    ) -> None:
        self._current, source, self._exchange = token_source(
            token, kwargs, token_refresher=token_refresher, resource_endpoint=resource_endpoint,
            token_credential=token_credential, scopes=scopes, exchange_type=AsyncTokenExchange, asynchronous=True)
        self._proactive = check_options(source, proactive_refresh, refresh_before_expiry)
        self._fetch: Optional[AsyncTokenRefresher] = source
        self._lead = refresh_before_expiry
        self._window = on_demand_window(self._proactive, refresh_before_expiry)
        # One event loop runs all of this, so plain attributes need no lock: nothing awaits
        # between reading and setting them.
        self._closed = False
        self._inflight: Optional[_Refresh] = None
        self._retry_at: Optional[datetime] = None
        self._warned_expired = False
        # Whether the background refresh should run: from `async with`, or after a refresh.
        self._background = False
        # The next background refresh is planned from the start; its task exists only once
        # _background is on (there may be no event loop yet here).
        self._timer: Optional[_AsyncRefreshTimer] = None
        if self._proactive:
            self._replan()
        if self._fetch is not None:
            _FORKED_CHILD_RESET.add(self)

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the current token, refreshing it first if it is close to expiry.

        ``scopes`` and keyword arguments are accepted for azure-core compatibility and ignored.

        :raises RuntimeError: the credential has proactive refresh and was closed.
        """
        self._ensure_open()
        self._resume_background()
        cached = self._current
        now = self._now()
        if cached.usable(now, self._window):
            return cached.access_token()
        if self._fetch is None:
            if cached.expired(now) and not self._warned_expired:
                self._warned_expired = True
                _LOGGER.warning(static_token_expired(cached))
            return cached.access_token()
        return await self._refresh_shared(lambda current, moment: current.usable(moment, self._window))

    async def close(self) -> None:
        """Cancel the background task and any refresh in flight, and close the exchange's pipeline;
        returns at once. Idempotent.

        Callers waiting for that refresh get the ``RuntimeError`` a closed credential raises; a
        result it still produces is dropped. A token credential without proactive refresh has nothing
        to stop, and stays usable, as in the official package.
        """
        if not self._proactive and self._exchange is None:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            _call_on_loop(inflight.future.get_loop(), _fail, inflight.future, RuntimeError(CLOSED_MESSAGE))
            _call_on_loop(inflight.task.get_loop(), inflight.task.cancel)
        if self._exchange is not None:
            await self._exchange.close()

    async def __aenter__(self) -> CommunicationTokenCredential:
        self._ensure_open()
        if self._proactive:
            self._background = True
            self._resume_background()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        if self._exchange is not None:
            return (f"<{type(self).__name__} (async) {self._exchange.settings.describe()} "
                    f"expires_on={self._current.describe_expiry()} proactive_refresh={self._proactive} {state}>")
        return (
            f"<{type(self).__name__} (async) expires_on={self._current.expires_on.isoformat()} "
            f"refresher={'yes' if self._fetch else 'no'} proactive_refresh={self._proactive} {state}>"
        )

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        # The module global, looked up on every call, so it can be patched (see the module docstring).
        return read_clock(get_current_utc_as_int)

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)

    async def _refresh_shared(self, skip: _SkipCheck) -> AccessToken:
        """Refresh unless ``skip`` says the current token will do; concurrent callers await one refresh."""
        self._ensure_open()
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        # A refresh on another loop (or of the parent process, before a fork) cannot be awaited here.
        if inflight is None or inflight.future.get_loop() is not loop:
            cached = self._current
            if skip(cached, self._now()):
                return cached.access_token()
            future = loop.create_future()
            future.add_done_callback(_consume_exception)
            inflight = self._inflight = _Refresh(future, loop.create_task(self._refresh_once(future, cached)))
        # asyncio.wait, unlike awaiting the future, does not cancel the shared refresh when this
        # caller is cancelled.
        await asyncio.wait({inflight.future})
        return inflight.future.result()

    async def _refresh_once(self, future: asyncio.Future, cached: CachedToken) -> None:
        try:
            result = self._fetch()
            if inspect.isawaitable(result):
                result = await result
            refreshed = cached.refreshed(result, self._now())
        except asyncio.CancelledError:
            self._settle(future, RuntimeError(CLOSED_MESSAGE if self._closed else "the token refresh was cancelled"))
            raise
        except Exception as exc:  # delivered to every caller through the future
            # Closing may be why the source failed (an exchange's closed pipeline): callers see the close.
            self._settle(future, RuntimeError(CLOSED_MESSAGE) if self._closed else exc)
            return
        if self._closed:  # closed while the refresher ran: the late result is dropped
            self._settle(future, RuntimeError(CLOSED_MESSAGE))
            return
        self._current = refreshed
        self._retry_at = None
        if self._proactive:
            self._background = True
            self._replan()
        _LOGGER.debug("Communication token refreshed; it expires at %s", refreshed.expires_on.isoformat())
        self._settle(future, refreshed.access_token())

    def _settle(self, future: asyncio.Future, outcome: Any) -> None:
        if self._inflight is not None and self._inflight.future is future:
            self._inflight = None
        if isinstance(outcome, BaseException):
            _fail(future, outcome)
        elif not future.done():  # close() may have failed it for its waiters already
            future.set_result(outcome)

    def _replan(self, retry_at: Optional[datetime] = None) -> None:
        """Plan the next background refresh (for the current token, or a retry); start its task
        when the background refresh is on (that needs the running event loop)."""
        if self._timer is not None:
            self._timer.cancel()
        now = self._now()
        due = retry_at if retry_at is not None else self._current.proactive_due(self._lead, now)
        self._timer = _AsyncRefreshTimer((due - now).total_seconds(), self._current.generation)
        if self._background:
            self._timer.start(self)

    def _resume_background(self) -> None:
        # Not running on this loop: planned before any loop ran, or a task of another loop (or of the
        # parent process, before a fork) that will never run here.
        timer = self._timer
        if self._background and timer is not None and not timer.running_on(asyncio.get_running_loop()):
            self._replan(self._retry_at)

    async def _on_timer(self, timer: _AsyncRefreshTimer) -> None:
        try:
            await self._refresh_shared(replaced_since(timer.generation))
        except Exception as exc:  # nobody awaits this task, so log instead of raising
            if self._closed or self._timer is not timer:
                return
            retry_at = self._retry_at = retry_after_failure(self._current, self._now())
            if retry_at is not None:
                self._replan(retry_at)
            else:
                self._timer = None  # the next refresh (on demand) plans it again
                timer.detach()
            log_background_failure(_LOGGER, exc, retry_at)

    def _after_fork_in_child(self) -> None:
        # The parent's event loops do not run in the child: forget its refresh in flight, and let the
        # next get_token start the background task again on the child's loop.
        self._inflight = None
        if self._timer is not None:
            self._timer.detach()


class _AsyncRefreshTimer:
    """The next background refresh of an async credential, ``interval`` seconds after it was planned.

    Its task holds the credential weakly and is cancelled when the credential is garbage-collected,
    so a credential nobody references keeps no task alive.
    """

    def __init__(self, interval: float, generation: int) -> None:
        self.interval = interval
        self.generation = generation
        self.task: Optional[asyncio.Task] = None
        self._fired = False
        self._finalizer: Optional[weakref.finalize] = None

    def start(self, owner: CommunicationTokenCredential) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(weakref.ref(owner), max(self.interval, 0.0)))
        self._finalizer = weakref.finalize(owner, _cancel_soon, self.task)

    def running_on(self, loop: asyncio.AbstractEventLoop) -> bool:
        return self.task is not None and not self.task.done() and self.task.get_loop() is loop

    def cancel(self) -> None:
        """Stop the timer unless it already fired (its refresh is then the credential's to stop)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        if self.task is not None and not self._fired:
            _call_on_loop(self.task.get_loop(), self.task.cancel)

    def detach(self) -> None:
        """Forget the task without touching it (in a forked child it belongs to a loop that does not run)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self.task = None

    async def _run(self, owner_ref: weakref.ref, delay: float) -> None:
        await asyncio.sleep(delay)
        owner = owner_ref()
        if owner is not None:
            self._fired = True
            await owner._on_timer(self)


def _call_on_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    """Run ``callback`` now when ``loop`` is this thread's running loop, else as soon as ``loop`` runs."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        callback(*args)
    else:
        _call_soon(loop, callback, *args)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    if loop.is_closed():
        return  # nothing of that loop runs any more
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # closed meanwhile
        pass


def _cancel_soon(task: asyncio.Task) -> None:
    # A weakref finalizer: it runs in whichever thread collected the credential, possibly in the
    # middle of the loop's own code, so the cancellation is handed to the loop instead of done here.
    _call_soon(task.get_loop(), task.cancel)


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def _consume_exception(future: asyncio.Future) -> None:
    # Callers get the exception through future.result(); this only stops asyncio from logging
    # "exception was never retrieved" when every caller went away first.
    if not future.cancelled():
        future.exception()


_FORKED_CHILD_RESET: weakref.WeakSet = weakref.WeakSet()


def _reset_in_forked_child() -> None:
    for credential in list(_FORKED_CHILD_RESET):
        credential._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_forked_child)
