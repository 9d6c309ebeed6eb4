"""The default async transport: azure-core's ``AioHttpTransport`` without aiohttp's per-request environment work.

With ``trust_env`` on, aiohttp looks up ``~/.netrc`` and the proxy environment on every request, each
in a worker thread: two thread hand-offs per call, the largest single cost in the async profile of a
steady ``get_token`` load. This transport keeps the same proxy settings (``HTTP(S)_PROXY``,
``ALL_PROXY``, ``NO_PROXY``), resolved once per origin, and hands aiohttp the answer as the request's
proxy; an environment change after that needs a new client. ``~/.netrc`` credentials are not applied:
every request of this client carries its own Authorization header.
"""

from __future__ import annotations

from typing import Any, MutableMapping, Optional
from urllib.parse import urlsplit

import aiohttp
from azure.core.pipeline.transport import AioHttpTransport

from .._env_proxies import PerOrigin, environment_proxy


class EnvOnceAioHttpTransport(AioHttpTransport):
    """``AioHttpTransport`` whose environment lookups happen once per origin, on the event loop's thread."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._proxy_by_origin = PerOrigin()

    async def open(self) -> None:
        # Only a session of our own, made the first time: a closed transport still refuses reuse in super().open().
        if self.session is None and self._session_owner and self._use_env_settings and not self._has_been_opened:
            self.session = aiohttp.ClientSession(trust_env=False, cookie_jar=aiohttp.DummyCookieJar(),
                                                 auto_decompress=False)
        await super().open()

    def _env_proxy(self, url: str) -> Optional[str]:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        if origin in self._proxy_by_origin:
            return self._proxy_by_origin[origin]
        return self._proxy_by_origin.remember(origin, environment_proxy(parts.scheme, parts.hostname or ""))

    async def send(self, request: Any, *, stream: bool = False, proxies: Optional[MutableMapping[str, str]] = None,
                   **config: Any) -> Any:
        if self._use_env_settings and self._session_owner and "proxy" not in config:
            env_proxy = self._env_proxy(request.url)
            if env_proxy:
                # As requests does: the caller's proxies win, the environment fills the schemes they leave out.
                scheme = urlsplit(request.url).scheme
                proxies = {scheme: env_proxy, **(proxies or {})}
        return await super().send(request, stream=stream, proxies=proxies, **config)


def with_default_async_transport(kwargs: dict) -> dict:
    """``kwargs`` plus our transport, unless the caller chose a transport or brought an aiohttp session."""
    if "transport" not in kwargs and "session" not in kwargs:
        kwargs["transport"] = EnvOnceAioHttpTransport(**kwargs)
    return kwargs
