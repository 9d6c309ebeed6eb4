"""The async exchange behind ``aio.CommunicationTokenCredential(resource_endpoint=..., token_credential=...)``.

Routing, checks and the pipeline's options are the sync module's (``.._token_exchange``); this is the
awaitable call. An aiohttp session belongs to the event loop (and the process) it was opened in, so
the pipeline is made per event loop: the credential works on one loop at a time and, moved to another
loop or into a forked child, makes a new pipeline there.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Optional, Tuple

from .._token_exchange import ExchangeSettings, call_options, exchange_client_kwargs
from .._token_utils import CLOSED_MESSAGE

_Home = Tuple[int, asyncio.AbstractEventLoop]  # the process and event loop a pipeline was made in


class AsyncTokenExchange:
    """A zero-argument coroutine function that exchanges once and returns the new token."""

    def __init__(self, settings: ExchangeSettings, kwargs: dict) -> None:
        self.settings = settings
        self._kwargs = kwargs
        self._own_transport = "transport" not in kwargs
        self._client: Any = None
        self._home: Optional[_Home] = None
        self._closed = False

    async def __call__(self) -> Any:
        operations = getattr(self._client_here(), self.settings.route.operations)
        return await operations.exchange_access_token(**call_options(self.settings))

    def _client_here(self) -> Any:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)
        here = (os.getpid(), asyncio.get_running_loop())
        if self._client is None or (self._own_transport and self._home != here):
            _abandon(self._client, self._home)
            self._client, self._home = self._new_client(), here
        return self._client

    def _new_client(self) -> Any:
        from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy

        from .._generated.aio import CommunicationIdentityClient as _GeneratedClient
        from .._policies import AsyncRetryPolicy
        from ._transport_async import with_default_async_transport

        options = exchange_client_kwargs(self.settings, AsyncBearerTokenCredentialPolicy, AsyncRetryPolicy,
                                         self._kwargs)
        return _GeneratedClient(self.settings.endpoint, **with_default_async_transport(options))

    async def close(self) -> None:
        self._closed = True
        client, home = self._client, self._home
        self._client = self._home = None
        if client is None:
            return
        if home == (os.getpid(), asyncio.get_running_loop()):
            await client.close()
        else:
            _abandon(client, home)


def _abandon(client: Any, home: Optional[_Home]) -> None:
    """Let go of a pipeline made on another event loop: closed on that loop if it still runs (in another
    thread of this process); otherwise nothing can close its session any more, and it is dropped."""
    if client is None or home is None:
        return
    pid, loop = home
    if pid == os.getpid() and loop.is_running() and not loop.is_closed():
        closing = client.close()
        try:
            asyncio.run_coroutine_threadsafe(closing, loop)
        except RuntimeError:  # the loop closed meanwhile
            closing.close()
