"""CommunicationTokenCredential: hands out a Communication Services token, refreshing it when needed.

This module is also ``azure.communication.identity._shared.user_credential``, the path applications
import the official package's credential from: that name is bound to this very module, so what they
patch there (``get_current_utc_as_int``) is the clock the credential reads.

Where tokens come from is one zero-argument callable, ``self._fetch``: the user's ``token_refresher``,
the exchange of a user's Entra ID token (``_token_exchange.TokenExchange``), or None for a static
token. Caching, the shared in-flight refresh, back-off and the background timer only ever call it.
"""
from __future__ import annotations

import logging
import os
import threading
import weakref
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, List, Optional, Union

from azure.core.credentials import AccessToken, TokenCredential

from ._token_exchange import NO_TOKEN, TokenExchange, token_source
from ._token_utils import (
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

__all__ = ["CommunicationTokenCredential", "create_access_token", "get_current_utc_as_int"]

_LOGGER = logging.getLogger(__name__)

TokenRefresher = Callable[[], Union[str, AccessToken]]
_SkipCheck = Callable[[CachedToken, datetime], bool]

THREAD_NAME = "CommunicationTokenCredential-refresh"


class CommunicationTokenCredential:
    """A Communication Services user token for chat and calling clients, kept fresh by a refresher or by
    exchanging a user's Entra ID token.

    Two forms: ``CommunicationTokenCredential(token, token_refresher=None, ...)`` (a token, static or
    renewed by your refresher), or ``CommunicationTokenCredential(resource_endpoint=...,
    token_credential=..., scopes=None, ...)`` (the exchange form: each token is obtained by exchanging
    the user's Entra ID token, from ``token_credential``, at the resource).

    :param str token: the initial access token (a JWT; its ``exp`` claim gives its expiry).
    :keyword token_refresher: zero-argument callable returning a new token, as an
        ``azure.core.credentials.AccessToken`` or a JWT str. Without it the token is static.
    :keyword str resource_endpoint: exchange form: the resource's URL (``https://<resource>.communication.azure.com``;
        plain ``http://`` only to this machine, such as the local emulator).
    :keyword token_credential: exchange form: a credential whose ``get_token(*scopes)`` returns the user's
        Entra ID access token (azure-identity's, or any azure-core ``TokenCredential``); it is called through
        azure-core's ``BearerTokenCredentialPolicy``, which caches that token.
    :keyword scopes: exchange form: the Entra ID scopes to ask ``token_credential`` for; they choose the
        exchange. All under ``https://auth.msft.communication.azure.com/`` (e.g.
        ``.../TeamsExtension.ManageCalls``): a Teams Phone extensibility user; all under
        ``https://communication.azure.com/clients/``: an Entra ID user (default
        ``["https://communication.azure.com/clients/.default"]``). Anything else is a ``ValueError``.
    :keyword api_version: exchange form: the api-version of the exchange (default: 2025-06-30 for Teams Phone
        extensibility users, 2025-03-02-preview for Entra ID users; see ``_token_exchange``).
    :keyword bool proactive_refresh: refresh ahead of expiry: ``get_token`` refreshes once the token
        is within ``refresh_before_expiry`` of expiring (instead of 2 minutes), and a background timer,
        armed by ``with`` and after every refresh, refreshes at that point when nobody asks.
    :keyword timedelta refresh_before_expiry: that lead time (default 10 minutes).

    Other keyword arguments are accepted and ignored, as azure-communication-identity 1.5.0 does; in the
    exchange form they are azure-core options of the exchange's pipeline (``logging_enable``,
    ``retry_total``, ``connection_verify``, ``transport``, ``user_agent``, ...).

    The exchange form has no initial token: the first ``get_token`` exchanges, and so does every
    refresh, with the rules below. A refused exchange raises the ``HttpResponseError`` the service
    answered (``ClientAuthenticationError`` for 401, ``ResourceNotFoundError`` for 404; 403, no
    assignment for the user, is a plain ``HttpResponseError``). ``close()`` closes its pipeline too,
    and a closed exchange credential refuses further use.

    ``get_token`` returns the cached token until it is within 2 minutes (or the lead time) of expiry;
    concurrent callers share one refresher call. After a refresh the refresher is not called again
    before half of the new token's remaining lifetime has passed (at least 1 s, at most until it
    expires), so a refresher that keeps returning short-lived tokens is never hammered. A static
    token keeps being returned after it expires (with a warning in the log), as in the official package.

    ``close()`` (or leaving ``with``) stops the background timer at once, without waiting for a
    refresh in flight (whose result is dropped); a closed proactive credential refuses further use.
    A credential without proactive refresh runs nothing in the background, and, as in the official
    package, stays usable after ``close()``. A credential nobody references any more keeps no thread
    alive, and a process forked from this one gets a working credential (its own timer).
    """

    def __init__(
        self,
        token: str = NO_TOKEN,
        *,
        token_refresher: Optional[TokenRefresher] = None,
        proactive_refresh: bool = False,
        refresh_before_expiry: timedelta = timedelta(minutes=10),
        resource_endpoint: Optional[str] = None,
        token_credential: Optional[TokenCredential] = None,
        scopes: Optional[Iterable[str]] = None,
        **kwargs: Any,
    ) -> None:
        self._current, source, self._exchange = token_source(
            token, kwargs, token_refresher=token_refresher, resource_endpoint=resource_endpoint,
            token_credential=token_credential, scopes=scopes, exchange_type=TokenExchange, asynchronous=False)
        self._proactive = check_options(source, proactive_refresh, refresh_before_expiry)
        self._fetch: Optional[TokenRefresher] = source
        self._lead = refresh_before_expiry
        self._window = on_demand_window(self._proactive, refresh_before_expiry)
        # _state_lock guards the fields below and is only held briefly, never while the refresher runs.
        self._state_lock = threading.Lock()
        self._closed = False
        self._inflight: Optional[Future] = None
        self._retry_at: Optional[datetime] = None
        self._timer: Optional[_RefreshTimer] = None
        self._warned_expired = False
        if self._fetch is not None:
            _FORK_GUARD.track(self)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Return the current token, refreshing it first if it is close to expiry.

        ``scopes`` and keyword arguments are accepted for azure-core compatibility and ignored:
        a Communication Services token carries its own scopes.

        :raises RuntimeError: the credential has proactive refresh and was closed.
        """
        self._ensure_open()
        cached = self._current
        now = self._now()
        if cached.usable(now, self._window):
            return cached.access_token()
        if self._fetch is None:
            if cached.expired(now) and not self._warned_expired:
                self._warned_expired = True
                _LOGGER.warning(static_token_expired(cached))
            return cached.access_token()
        return self._refresh_shared(lambda current, moment: current.usable(moment, self._window))

    def close(self) -> None:
        """Stop background refreshing (and close the exchange's pipeline); returns at once, even while a
        refresh is in flight. Idempotent.

        A refresh in flight is not waited for: its result is dropped, and callers waiting for it get
        the ``RuntimeError`` a closed credential raises.
        """
        if not self._proactive and self._exchange is None:
            return  # nothing runs in the background; the credential stays usable, as in the official package
        with self._state_lock:
            self._closed = True
            timer, self._timer = self._timer, None
            waiting, self._inflight = self._inflight, None
            if waiting is not None and not waiting.done():
                waiting.set_exception(RuntimeError(CLOSED_MESSAGE))
        # A timer that has not begun refreshing ends at once: join it so no thread outlives close().
        if timer is not None and timer.cancel() and timer is not threading.current_thread():
            timer.join()
        if self._exchange is not None:
            self._exchange.close()

    def __enter__(self) -> CommunicationTokenCredential:
        self._ensure_open()
        if self._proactive:
            with self._state_lock:
                if self._timer is None and not self._closed:
                    self._arm_timer_locked()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        if self._exchange is not None:
            return (f"<{type(self).__name__} {self._exchange.settings.describe()} "
                    f"expires_on={self._current.describe_expiry()} proactive_refresh={self._proactive} {state}>")
        return (
            f"<{type(self).__name__} expires_on={self._current.expires_on.isoformat()} "
            f"refresher={'yes' if self._fetch else 'no'} proactive_refresh={self._proactive} {state}>"
        )

    # ------------------------------------------------------------------ internals

    def _now(self) -> datetime:
        # The module global, looked up on every call, so it can be patched (see the module docstring).
        return read_clock(get_current_utc_as_int)

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)

    def _refresh_shared(self, skip: _SkipCheck) -> AccessToken:
        """Refresh unless ``skip`` says the current token will do; concurrent callers share one call.

        The first caller becomes the leader and calls the token source; the others wait on its future
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
            refreshed = cached.refreshed(self._fetch(), self._now())
        except BaseException as exc:
            with self._state_lock:
                closed = self._closed  # closing may be why the source failed (an exchange's closed pipeline)
                self._settle(future, exception=RuntimeError(CLOSED_MESSAGE) if closed else exc)
            if closed:
                raise RuntimeError(CLOSED_MESSAGE) from exc
            raise
        with self._state_lock:
            if self._closed:  # closed while the refresher ran: the late result is dropped
                self._settle(future, exception=RuntimeError(CLOSED_MESSAGE))
                raise RuntimeError(CLOSED_MESSAGE)
            self._current = refreshed
            self._retry_at = None
            if self._proactive:
                self._arm_timer_locked()
            token = refreshed.access_token()
            self._settle(future, result=token)
        _LOGGER.debug("Communication token refreshed; it expires at %s", refreshed.expires_on.isoformat())
        return token

    def _settle(self, future: Future, *, result: Any = None, exception: Optional[BaseException] = None) -> None:
        # Called with _state_lock held. close() may already have failed the future for its waiters.
        if self._inflight is future:
            self._inflight = None
        if future.done():
            return
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)

    def _arm_timer_locked(self, retry_at: Optional[datetime] = None) -> None:
        """(Re)schedule the background refresh for the current token, or a retry; _state_lock held."""
        if self._timer is not None:
            self._timer.cancel()
        now = self._now()
        due = retry_at if retry_at is not None else self._current.proactive_due(self._lead, now)
        timer = _RefreshTimer(self, (due - now).total_seconds(), self._current.generation)
        try:
            timer.start()
        except RuntimeError as exc:  # "can't start new thread": refreshing on demand still works
            timer.detach()
            self._timer = None
            _LOGGER.warning("Could not start the background refresh of the communication token (%s); "
                            "get_token() refreshes it when it is close to expiry", exc)
            return
        self._timer = timer

    def _on_timer(self, timer: _RefreshTimer) -> None:
        try:
            self._refresh_shared(replaced_since(timer.generation))
        except Exception as exc:  # the refresher's errors cannot propagate from a timer thread
            with self._state_lock:
                if self._closed or self._timer is not timer:
                    return
                retry_at = self._retry_at = retry_after_failure(self._current, self._now())
                if retry_at is not None:
                    self._arm_timer_locked(retry_at)
                else:
                    self._timer = None  # the next refresh (on demand) arms it again
                    timer.detach()
            log_background_failure(_LOGGER, exc, retry_at)

    def _after_fork_in_child(self) -> None:
        """Runs in a forked child, with _state_lock held since before the fork (see _ForkGuard)."""
        # The threads of the parent were not copied: nobody will settle its in-flight refresh, and
        # its timer thread is gone. Forget both; re-arm the timer if the parent had one.
        self._inflight = None
        if self._exchange is not None:
            self._exchange.after_fork_in_child()
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.detach()
            if not self._closed:
                self._arm_timer_locked(self._retry_at)


class _RefreshTimer(threading.Thread):
    """A one-shot background refresh: waits ``interval`` seconds, then refreshes its credential.

    It holds the credential weakly and is cancelled when the credential is garbage-collected, so a
    credential nobody references keeps no thread alive.
    """

    def __init__(self, owner: CommunicationTokenCredential, interval: float, generation: int) -> None:
        super().__init__(name=THREAD_NAME, daemon=True)
        self.interval = interval
        self.generation = generation
        self._owner = weakref.ref(owner)
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._firing = False
        self._finalizer = weakref.finalize(owner, self.cancel)

    def cancel(self) -> bool:
        """Stop the timer; True when it had not begun refreshing (so it ends at once)."""
        self._finalizer.detach()
        with self._lock:
            self._cancelled.set()
            return not self._firing

    def detach(self) -> None:
        """Unhook the timer from its owner without touching its lock (in a forked child, the thread
        that may have held that lock at the fork does not exist)."""
        self._finalizer.detach()

    def run(self) -> None:
        if self._cancelled.wait(min(max(self.interval, 0.0), threading.TIMEOUT_MAX)):
            return
        with self._lock:
            if self._cancelled.is_set():
                return
            self._firing = True
        owner = self._owner()
        if owner is not None:
            owner._on_timer(self)


class _ForkGuard:
    """Gives forked children working credentials (``os.register_at_fork``).

    Before a fork it takes every tracked credential's state lock, so the child copies consistent
    state and no lock held by a thread that the child will not have; in the child it resets what
    belonged to the parent's threads, then releases the locks.
    """

    def __init__(self) -> None:
        self._credentials: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._held: List[CommunicationTokenCredential] = []

    def track(self, credential: CommunicationTokenCredential) -> None:
        with self._lock:
            self._credentials.add(credential)

    def before(self) -> None:
        self._lock.acquire()
        self._held = list(self._credentials)
        for credential in self._held:
            credential._state_lock.acquire()

    def after_in_parent(self) -> None:
        held, self._held = self._held, []
        for credential in held:
            credential._state_lock.release()
        self._lock.release()

    def after_in_child(self) -> None:
        held, self._held = self._held, []
        for credential in held:
            try:
                credential._after_fork_in_child()
            finally:
                credential._state_lock.release()
        self._lock.release()


_FORK_GUARD = _ForkGuard()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_FORK_GUARD.before,
        after_in_parent=_FORK_GUARD.after_in_parent,
        after_in_child=_FORK_GUARD.after_in_child,
    )
