"""Where the sync transport's requests go: one route per origin, each with its keep-alive connections.

A route is decided once per origin (and TLS settings, and ``proxies=``): the environment's proxy
for it (``NO_PROXY`` read as requests reads it), the TLS context, and how a new connection is made:
direct, forwarded through an http(s) proxy (absolute-form targets), or tunnelled with CONNECT. The
connections themselves are urllib3's (``urllib3.connection.HTTPConnection``/``HTTPSConnection``):
they speak HTTP, TLS, TLS-in-TLS and CONNECT; this module only keeps them for reuse.
"""

from __future__ import annotations

import errno
import os
import ssl
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection, ProxyConfig
from urllib3.exceptions import InsecureRequestWarning

from ._env_proxies import environment_proxies, proxy_for

BLOCKSIZE = 32768  # body write size, as azure-core's requests adapter sets it
_MAX_SSL_CONTEXTS = 16


class Connections:
    """Idle keep-alive connections of one route; a connection is out of it while a request uses it."""

    __slots__ = ("_make", "_idle", "_lock", "_maxsize", "_closed")

    def __init__(self, make: Callable[[], HTTPConnection], maxsize: int) -> None:
        self._make = make
        self._idle: List[HTTPConnection] = []
        self._lock = threading.Lock()
        self._maxsize = maxsize
        self._closed = False

    def take(self) -> Tuple[HTTPConnection, bool]:
        """An idle connection still open (True), or a new, unconnected one (False)."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._make(), False
            if conn.is_connected:  # not readable while idle: the server has not closed it
                return conn, True
            conn.close()

    def give_back(self, conn: HTTPConnection) -> None:
        if not conn.is_closed:
            with self._lock:
                if not self._closed and len(self._idle) < self._maxsize:
                    self._idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        """Closes the idle connections; those in use are closed when given back. Still usable, unpooled."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def idle_count(self) -> int:
        return len(self._idle)


class Route:
    """How requests for one origin are sent: through ``connections``, to ``prefix + target`` (absolute-form
    through a forwarding proxy) or ``target``, with ``extra_headers`` (a forwarding proxy's credentials)."""

    __slots__ = ("connections", "prefix", "extra_headers", "where")

    def __init__(self, connections: Connections, prefix: Optional[str], extra_headers: Dict[str, str],
                 where: str) -> None:
        self.connections = connections
        self.prefix = prefix
        self.extra_headers = extra_headers
        self.where = where


def proxy_parts(proxy_url: str) -> Tuple[urllib3.util.Url, Dict[str, str]]:
    """(the proxy URL without credentials, ``Proxy-Authorization`` if the URL carried user:password)."""
    if "://" not in proxy_url:
        proxy_url = "http://" + proxy_url
    parts = urlsplit(proxy_url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the default transport supports http:// and https:// proxies, not {parts.scheme}://; "
                         "use transport=azure.core.pipeline.transport.RequestsTransport() with PySocks for socks")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        # urllib's message would quote the text after the last ':', which can be part of the password.
        raise ValueError("the proxy URL is malformed; percent-encode special characters in its user and "
                         "password") from None
    if not host:
        raise ValueError("the proxy URL has no host")
    headers = {}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = urllib3.util.make_headers(proxy_basic_auth=credentials)
    return urllib3.util.Url(scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80)), \
        headers


def _existing(path: str, what: str) -> str:
    # ssl's own error for a missing file does not say which file; requests names it, so do we.
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{what} not found", path)
    return path


def ssl_context(verify: Any, cert: Any) -> ssl.SSLContext:
    """The TLS context for ``connection_verify`` (True, False or a CA path) and ``connection_cert``."""
    if isinstance(verify, str):
        _existing(verify, "connection_verify: the CA bundle")
    for path in (cert if isinstance(cert, (tuple, list)) else (cert,) if cert else ()):
        _existing(path, "connection_cert: the TLS client certificate file")
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        if os.path.isdir(verify):
            context = ssl.create_default_context(capath=verify)
        else:
            context = ssl.create_default_context(cafile=verify)
    else:
        try:
            import certifi
        except ImportError:  # pragma: no cover - requests (a dependency of msrest) brings certifi
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cafile=certifi.where())
    if cert:
        if isinstance(cert, (tuple, list)):
            context.load_cert_chain(cert[0], cert[1])
        else:
            context.load_cert_chain(cert)
    context.set_alpn_protocols(["http/1.1"])
    return context


def environment_ca_bundle() -> Optional[str]:
    return (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            or os.environ.get("SSL_CERT_FILE") or None)


class RouteMaker:
    """Builds the route of an origin: proxy choice, TLS context, connection factory."""

    def __init__(self, *, use_env_settings: bool, pool_maxsize: int) -> None:
        self._use_env_settings = use_env_settings
        self._pool_maxsize = pool_maxsize
        self._contexts: Dict[tuple, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def _context(self, verify: Any, cert: Any) -> ssl.SSLContext:
        key = (verify, cert)
        context = self._contexts.get(key)
        if context is None:
            context = ssl_context(verify, cert)
            with self._lock:
                if len(self._contexts) >= _MAX_SSL_CONTEXTS:
                    self._contexts.clear()
                self._contexts[key] = context
        return context

    def route(self, origin: str, verify: Any, cert: Any, proxies: Dict[str, str]) -> Route:
        try:
            url = urllib3.util.parse_url(origin)
        except urllib3.exceptions.LocationParseError as err:
            raise ValueError(f"the request URL's host cannot be sent: {err}") from None
        scheme = (url.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"the default transport speaks http and https only; got a {scheme or 'relative'} URL")
        if not url.host:
            raise ValueError("the request URL has no host")
        host = url.host.strip("[]")  # IDNA-encoded and lowercased by urllib3; IPv6 literals without brackets
        port = url.port or (443 if scheme == "https" else 80)
        chosen = dict(proxies)
        no_proxy = chosen.pop("no_proxy", None)
        if self._use_env_settings:  # the caller's proxies win; the environment fills what they leave out
            chosen = {**environment_proxies(host, url.port, no_proxy), **chosen}
        proxy_url = proxy_for(chosen, scheme, host)
        proxy, proxy_headers = proxy_parts(proxy_url) if proxy_url else (None, {})
        tls = self._tls_options(verify, cert)
        if proxy is not None and proxy.scheme == "https":
            proxy_tls = tls
        else:
            proxy_tls = None

        if proxy is None:
            if scheme == "https":
                def make() -> HTTPConnection:
                    return HTTPSConnection(host, port, blocksize=BLOCKSIZE, **tls)
            else:
                def make() -> HTTPConnection:
                    return HTTPConnection(host, port, blocksize=BLOCKSIZE)
            return Route(Connections(make, self._pool_maxsize), None, {}, origin)

        proxy_host = f"[{proxy.host}]" if ":" in proxy.host else proxy.host
        where = f"{origin} through the proxy {proxy_host}:{proxy.port}"  # never the proxy's credentials
        if scheme == "http":  # forwarded: absolute-form targets on connections to the proxy
            def make() -> HTTPConnection:
                if proxy_tls is not None:
                    return HTTPSConnection(proxy.host, proxy.port, blocksize=BLOCKSIZE, **proxy_tls)
                return HTTPConnection(proxy.host, proxy.port, blocksize=BLOCKSIZE)
            return Route(Connections(make, self._pool_maxsize), f"http://{url.netloc}", proxy_headers, where)

        config = ProxyConfig(proxy_tls["ssl_context"] if proxy_tls else None, False, None, None)

        def make() -> HTTPConnection:  # tunnelled: CONNECT host:port (IPv6 bracketed by urllib3), then TLS
            conn = HTTPSConnection(proxy.host, proxy.port, blocksize=BLOCKSIZE, proxy=proxy, proxy_config=config, **tls)
            conn.set_tunnel(host, port, headers=proxy_headers, scheme=proxy.scheme)
            return conn
        return Route(Connections(make, self._pool_maxsize), None, {}, where)

    def _tls_options(self, verify: Any, cert: Any) -> Dict[str, Any]:
        options: Dict[str, Any] = {"ssl_context": self._context(verify, cert),
                                   "cert_reqs": "CERT_NONE" if verify is False else "CERT_REQUIRED"}
        if verify is False:
            options["assert_hostname"] = False
        return options


def warn_if_unverified(conn: HTTPConnection) -> None:
    """The warning urllib3 (and so requests) gives for an HTTPS connection made without verification."""
    if isinstance(conn, HTTPSConnection) and not conn.is_verified and not conn.proxy_is_verified:
        warnings.warn(f"Unverified HTTPS request is being made to host '{conn.host}'. Adding certificate "
                      "verification is strongly advised. See: https://urllib3.readthedocs.io/en/latest/"
                      "advanced-usage.html#tls-warnings", InsecureRequestWarning, stacklevel=2)
