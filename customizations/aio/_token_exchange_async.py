"""The async exchange behind ``aio.CommunicationTokenCredential(resource_endpoint=..., token_credential=...)``.

Routing, checks and the pipeline's options are the sync module's (``.._token_exchange``); this is the
awaitable call.

An aiohttp session belongs to the event loop it was opened on, and its pooled connections to the
process, while the credential may be used on one loop after another (``asyncio.run`` twice) or in a
forked child. So each exchange opens its own pipeline and closes it when the exchange ends: nothing
bound to a loop outlives it, at the cost of one new connection per exchange, that is per token
lifetime (an hour or more with the service). A ``transport`` the caller passes is theirs: it is used
by one pipeline kept until ``close()``.
"""

from __future__ import annotations

from typing import Any

from .._token_exchange import ExchangeSettings, call_options, exchange_client_kwargs
from .._token_utils import CLOSED_MESSAGE


class AsyncTokenExchange:
    """A zero-argument coroutine function that exchanges once and returns the new token."""

    def __init__(self, settings: ExchangeSettings, kwargs: dict) -> None:
        self.settings = settings
        self._kwargs = kwargs
        self._callers_transport = "transport" in kwargs
        self._kept: Any = None  # the one pipeline over the caller's transport
        self._closed = False

    async def __call__(self) -> Any:
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)
        if self._callers_transport:
            if self._kept is None:
                self._kept = self._new_client()
            return await self._exchange(self._kept)
        async with self._new_client() as client:  # closed however the exchange ends, cancelled included
            return await self._exchange(client)

    async def _exchange(self, client: Any) -> Any:
        operations = getattr(client, self.settings.route.operations)
        return await operations.exchange_access_token(**call_options(self.settings))

    def _new_client(self) -> Any:
        from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy

        from .._generated.aio import CommunicationIdentityClient as _GeneratedClient
        from .._policies import AsyncRetryPolicy
        from ._transport_async import with_default_async_transport

        options = exchange_client_kwargs(self.settings, AsyncBearerTokenCredentialPolicy, AsyncRetryPolicy,
                                         self._kwargs)
        return _GeneratedClient(self.settings.endpoint, **with_default_async_transport(options))

    async def close(self) -> None:
        """Refuse further exchanges; close the pipeline over the caller's transport, if one was made."""
        self._closed = True
        kept, self._kept = self._kept, None
        if kept is not None:
            await kept.close()
