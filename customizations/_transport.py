"""A requests-based sync transport: azure-core's ``RequestsTransport`` with the environment read once per origin.

Not the default any more (see ``_http_client_transport``); kept for callers who want requests.

With ``trust_env`` on, requests re-reads the whole environment on every request (``getproxies()``
twice, ``no_proxy`` matching, ``REQUESTS_CA_BUNDLE``, a ``~/.netrc`` lookup): in the profile of a
steady ``get_token`` loop that was the largest single cost in the client. This transport keeps the
same settings (``HTTP(S)_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``) but
resolves them when the client first talks to an origin and reuses the answer, so an environment
change after that needs a new client. ``~/.netrc`` credentials are not applied: every request of
this client carries its own Authorization header, which a netrc login would overwrite.
"""

from __future__ import annotations

import os
from typing import Any, Dict, MutableMapping, Optional, Tuple
from urllib.parse import urlsplit

from azure.core.pipeline.transport import RequestsTransport

_MAX_ORIGINS = 64  # send_request may reach other hosts; keep the per-origin cache bounded


class EnvOnceRequestsTransport(RequestsTransport):
    """``RequestsTransport`` whose environment lookups happen once per origin instead of per request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._proxies_by_origin: Dict[Tuple[str, str], Dict[str, str]] = {}
        self._env_ca_bundle: Optional[str] = None
        if self._use_env_settings:
            self._env_ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")

    def _init_session(self, session: Any) -> None:
        super()._init_session(session)
        # This transport does the environment work itself (see send); requests must not redo it.
        session.trust_env = False

    def _env_proxies(self, url: str) -> Dict[str, str]:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        proxies = self._proxies_by_origin.get(origin)
        if proxies is None:
            from requests.utils import get_environ_proxies

            proxies = get_environ_proxies(url, no_proxy=None)
            if len(self._proxies_by_origin) >= _MAX_ORIGINS:
                self._proxies_by_origin.clear()
            self._proxies_by_origin[origin] = proxies
        return proxies

    def send(self, request: Any, *, proxies: Optional[MutableMapping[str, str]] = None, **kwargs: Any) -> Any:
        # A session the caller brought keeps its own trust_env; only ours is handled here.
        if self._use_env_settings and self._session_owner:
            env_proxies = self._env_proxies(request.url)
            # As requests does: the caller's proxies win, the environment fills the schemes they leave out.
            proxies = env_proxies if proxies is None else {**env_proxies, **proxies}
            if self._env_ca_bundle and "connection_verify" not in kwargs and self.connection_config.verify is True:
                kwargs["connection_verify"] = self._env_ca_bundle
        return super().send(request, proxies=proxies, **kwargs)


def with_default_transport(kwargs: dict) -> dict:
    """``kwargs`` plus our default transport, unless the caller chose a transport or brought a requests session.

    The default is :class:`~._http_client_transport.HttpClientTransport` (``http.client``, pooled). To
    use requests instead, pass ``transport=RequestsTransport()`` (azure-core's) or
    ``transport=EnvOnceRequestsTransport()``; a ``session=`` gets azure-core's ``RequestsTransport``.
    """
    if "transport" not in kwargs and "session" not in kwargs:
        from ._http_client_transport import HttpClientTransport

        kwargs["transport"] = HttpClientTransport(**kwargs)
    return kwargs
