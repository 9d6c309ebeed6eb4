"""The default sync transport: azure-core's ``HttpTransport`` contract on urllib3, without requests.

Why urllib3: it is the HTTP layer under requests, and so under azure-core's ``RequestsTransport``,
kept up for years against real servers and proxies: response parsing, content decoding, chunked
streaming, CONNECT tunnels (IPv6 literals bracketed on every Python this package supports), TLS and
TLS-in-TLS proxies, IDN hosts. Sending through urllib3's connections makes this transport behave as
``RequestsTransport`` does, because the same code is on the wire (``tests/integration/
test_transport_conformance.py`` runs every case against both).

Why without requests, and without urllib3's ``urlopen``: in the bench's steady ``get_token`` loop
(``make bench``; steps and figures in ``bench/README.md``) the whole call cost 1.2 ms of client CPU
with ``RequestsTransport`` (session setting merges, per-request environment and ``~/.netrc`` lookups,
request preparation, hooks, cookie jar), 0.75 ms on a urllib3 ``PoolManager``, and 0.04 ms less again
with urllib3's connections kept here per route instead of ``urlopen``'s bookkeeping (retry and
timeout objects per request, target re-encoding, pool keys). The connections, their writes and
their response parsing are urllib3's and http.client's, unchanged: no private internals of either.
httpx/httpcore were not candidates: not installed with this package,
and their HTTP/1.1 parser (h11) is pure Python. So per origin, once, this transport decides the
route (the environment's proxy, ``NO_PROXY`` read as requests reads it, CIDR blocks included; the
CA bundle is read once, at construction) and keeps that route's connections; per request it takes a
connection, sends, and gives it back when the body has been read.

Where it differs from ``RequestsTransport``, on purpose:

* no cookie jar (requests stores ``Set-Cookie`` answers and sends them back; the Identity service
  sets none, and a client replaying cookies between calls surprises more than it helps);
* ``~/.netrc`` is never read (requests would put its Basic credentials over the signed header);
* a header value with a line break is a ``ValueError`` before anything is sent, naming the header
  without quoting the value (requests raises ``InvalidHeader``, which azure-core turns into a retried
  ``ServiceResponseError`` quoting it);
* a read timeout while a body is being read is a ``ServiceResponseTimeoutError``, and a timeout in the
  TLS handshake a ``ServiceRequestTimeoutError`` (requests's paths report these as
  ``ServiceRequestError`` and ``ServiceResponseTimeoutError``: the wrong way round for a retry policy
  that must know whether the request went out);
* ``Transfer-Encoding: gzip, chunked`` is decoded (requests removes the chunking and hands over the
  gzip bytes); an idle connection that fails while the request is being written is replaced once
  (the server saw no complete request);
* an ``https://`` proxy's certificate is verified (with ``connection_verify``) for ``http://``
  endpoints too (requests leaves that forwarded leg unverified); ``socks`` proxies are refused with a
  ``ValueError``; a ``connection_cert`` may be a list as well as a tuple.
"""

from __future__ import annotations

import errno
import http.client
import logging
import re
import socket
import ssl
import threading
import weakref
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, urlencode

import urllib3
from azure.core.configuration import ConnectionConfiguration
from azure.core.exceptions import (
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpTransport
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3Error

from ._env_proxies import PerOrigin
from ._urllib3_pool import Route, RouteMaker, environment_ca_bundle, warn_if_unverified
from ._urllib3_responses import Exchange, RestUrllib3TransportResponse, Urllib3TransportResponse

_LOGGER = logging.getLogger(__name__)

_DEFAULT_POOL_SIZE = 10  # connections kept per origin, as requests keeps
# What a requests session sends unless the request says otherwise.
_DEFAULT_HEADERS = (
    ("Accept-Encoding", ", ".join(part.strip() for part in
                                  urllib3.util.make_headers(accept_encoding=True)["accept-encoding"].split(","))),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)
_CLOSED = ("HTTP transport has already been closed. You may check if you're calling a function outside of the "
           "`with` of your client creation, or if you called `close()` on your client already.")
# A server that closed the connection or answered early: the request may still have an answer to read.
_WRITE_CUT = (errno.EPIPE, errno.ECONNRESET, errno.EPROTOTYPE)


# -- the request as sent -----------------------------------------------------------------------------
@lru_cache(maxsize=1024)  # a pure function of the URL; a client sends the same few URLs over and over
def _split(url: str) -> Tuple[str, str]:
    """(origin ``scheme://netloc``, ``/path?query``) of ``url``, without re-quoting what is already valid."""
    start = url.find("://") + 3
    end = len(url)
    for mark in "/?#":
        index = url.find(mark, start)
        if index != -1 and index < end:
            end = index
    target = url[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    if _NEEDS_QUOTING(target):
        target = _quote_target(target)
    return url[:end], target


# Anything but the characters a path and query may carry, and escapes that are not two upper-case hex digits.
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]|%(?![0-9A-F]{2})").search
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")


def _quote_target(target: str) -> str:
    """Percent-encode what cannot be sent (spaces, non-ASCII, a stray ``%``) and upper-case the escapes
    already there, as urllib3 does for requests; a target that needs neither is sent as it is (signed)."""
    return "".join(piece.upper() if _ESCAPE.fullmatch(piece) else quote(piece, safe="-._~!$&'()*+,;=:@/?")
                   for piece in _ESCAPE.split(target))


def _headers(request: Any, extra: Dict[str, str]) -> Dict[str, str]:
    """The request's headers plus requests' defaults for those it does not set; the request is not changed."""
    headers = request.headers  # azure-core keeps them in a case-insensitive dict
    merged = dict(headers.items())
    for name, value in _DEFAULT_HEADERS:
        if name not in headers:
            merged[name] = value
    if extra:
        merged.update(extra)
    return merged


def _body(request: Any, headers: Dict[str, str]) -> Any:
    files = getattr(request, "files", None)
    data = request.data
    if files:
        fields: List[Tuple[str, Any]] = list(data.items()) if isinstance(data, dict) else []
        body, content_type = urllib3.encode_multipart_formdata(fields + _file_fields(files))
        headers["Content-Type"] = content_type
        return body
    if data is None or isinstance(data, (bytes, str)):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, dict):  # form fields
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data, doseq=True)
    if hasattr(data, "read"):
        # Read whole, so the request carries a Content-Length as requests sends it; bodies here are small.
        return data.read()
    return data  # an iterable of chunks: sent with Transfer-Encoding: chunked


def _file_fields(files: Any) -> List[Tuple[str, Any]]:
    """azure-core's ``files`` (``{name: file or (filename, file[, content type])}``) as urllib3 form fields."""
    fields = []
    for name, value in (files.items() if isinstance(files, dict) else files):
        if isinstance(value, tuple):
            filename, content = value[0], value[1]
            content = content.read() if hasattr(content, "read") else content
            fields.append((name, (filename, content, value[2]) if len(value) > 2 and value[2] else (filename, content)))
        else:
            fields.append((name, value.read() if hasattr(value, "read") else value))
    return fields


def _header_error(err: ValueError, headers: Dict[str, str]) -> ValueError:
    """http.client refuses header injection by quoting the value (a secret, maybe); name the header instead."""
    for name, value in headers.items():
        if "\r" in str(value) or "\n" in str(value) or ":" in name or not name.strip():
            return ValueError(f"Invalid HTTP header {name!r}: names are tokens and values cannot contain line breaks")
    return err


# -- errors, as RequestsTransport raises them --------------------------------------------------------
def _connect_error(err: BaseException, where: str) -> Exception:
    if isinstance(err, NewConnectionError):  # refused, unreachable, name not resolved
        return ServiceRequestError(f"Cannot connect to {where}: {err}", error=err)
    if isinstance(err, (ConnectTimeoutError, socket.timeout)):
        return ServiceRequestTimeoutError(f"Timed out connecting to {where}: {err}", error=err)
    return ServiceRequestError(f"Cannot connect to {where}: {type(err).__name__}: {err}", error=err)  # TLS, proxy


def _response_error(err: BaseException, where: str) -> Exception:
    if isinstance(err, socket.timeout):
        return ServiceResponseTimeoutError(f"Timed out waiting for the response from {where}: {err}", error=err)
    if isinstance(err, ssl.SSLError):
        return ServiceRequestError(f"TLS failed with {where}: {err}", error=err)
    return ServiceResponseError(f"The connection to {where} failed before a response arrived: "
                                f"{type(err).__name__}: {err}", error=err)


def _close_routes(routes: PerOrigin) -> None:
    for route in list(routes.values()):
        route.connections.close()


# -- the transport -----------------------------------------------------------------------------------
class Urllib3Transport(HttpTransport):
    """An azure-core sync transport on urllib3 connections, kept alive per origin.

    :keyword float connection_timeout: Seconds to connect (and finish the TLS handshake); default 300.
    :keyword float read_timeout: Seconds to wait for each read of the response; default 300.
    :keyword connection_verify: ``True`` (default: the environment's CA bundle, else certifi's, else the
        system store), ``False`` (no verification) or a path to a CA bundle file or directory.
    :keyword connection_cert: Client certificate: a PEM path holding cert and key, or ``(cert, key)``.
    :keyword dict proxies: ``{"http": url, "https": url}`` (also ``scheme://host``, ``all`` and ``no_proxy``
        keys, as requests reads them); per call too. The environment fills the schemes left out.
        ``http://`` and ``https://`` proxies; credentials in the URL become ``Proxy-Authorization``.
    :keyword bool use_env_settings: Read ``HTTP(S)_PROXY``/``ALL_PROXY``/``NO_PROXY`` and
        ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``/``SSL_CERT_FILE``; default True. The proxy settings are
        read once per origin, the CA bundle once, when the transport is built.
    :keyword int pool_maxsize: Idle connections kept per origin; default 10.

    Thread-safe: each request takes a connection of its own. ``close()`` closes the connections; a
    closed transport refuses further requests, as ``RequestsTransport`` does. A transport never closed
    closes its idle connections when it is garbage collected, or when the interpreter exits.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.connection_config = ConnectionConfiguration(**kwargs)
        use_env_settings = kwargs.get("use_env_settings", True)
        self._proxies: Dict[str, str] = dict(kwargs.get("proxies") or {})
        self._env_ca = environment_ca_bundle() if use_env_settings else None
        self._maker = RouteMaker(use_env_settings=use_env_settings,
                                 pool_maxsize=int(kwargs.get("pool_maxsize", _DEFAULT_POOL_SIZE)))
        self._routes = PerOrigin()  # (origin, verify, cert, proxies) -> Route
        self._lock = threading.Lock()
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_routes, self._routes)

    def __enter__(self) -> Urllib3Transport:
        self.open()
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def open(self) -> None:
        if self._closed:
            raise ValueError(_CLOSED)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    def _route(self, origin: str, verify: Any, cert: Any, proxies: Dict[str, str]) -> Route:
        key = (origin, verify, cert, tuple(sorted(proxies.items())) if proxies else None)
        route = self._routes.get(key)
        if route is None:
            route = self._maker.route(origin, verify, cert, proxies)
            with self._lock:
                if self._closed:
                    raise ValueError(_CLOSED)
                if len(self._routes) >= self._routes.limit:
                    _close_routes(self._routes)  # in-flight requests finish; their connections are not kept
                    self._routes.clear()
                route = self._routes.setdefault(key, route)
        return route

    def send(self, request: Any, *, proxies: Optional[Dict[str, str]] = None, **kwargs: Any) -> Any:
        if self._closed:
            raise ValueError(_CLOSED)
        config = self.connection_config
        connect_timeout = kwargs.pop("connection_timeout", config.timeout)
        if isinstance(connect_timeout, tuple):
            if "read_timeout" in kwargs:
                raise ValueError("Cannot set tuple connection_timeout and read_timeout together")
            _LOGGER.warning("Tuple timeout setting is deprecated")
            connect_timeout, read_timeout = connect_timeout
        else:
            read_timeout = kwargs.pop("read_timeout", config.read_timeout)
        verify = kwargs.pop("connection_verify", config.verify)
        if verify is True and self._env_ca:
            verify = self._env_ca
        cert = kwargs.pop("connection_cert", config.cert)
        if isinstance(cert, list):
            cert = tuple(cert)  # it keys the routes
        proxies = {**self._proxies, **proxies} if proxies else self._proxies

        origin, target = _split(request.url)
        route = self._route(origin, verify, cert, proxies)
        headers = _headers(request, route.extra_headers)
        body = _body(request, headers)
        if route.prefix:
            target = route.prefix + target
        exchange = self._exchange(route, request.method, target, headers, body, connect_timeout=connect_timeout,
                                  read_timeout=read_timeout)

        block_size = config.data_block_size
        if hasattr(request, "content"):  # an azure.core.rest request (send_request): a rest response
            response: Any = RestUrllib3TransportResponse(request=request, internal_response=exchange,
                                                         block_size=block_size)
            if not kwargs.get("stream", False):
                try:
                    response.read()
                finally:
                    response.close()
            return response
        response = Urllib3TransportResponse(request, exchange, block_size)
        if not kwargs.get("stream", False):
            response.body()  # read now: errors surface inside the retry policy, the connection goes back
        return response

    @staticmethod
    def _exchange(route: Route, method: str, target: str, headers: Dict[str, str], body: Any, *,
                  connect_timeout: Any, read_timeout: Any) -> Exchange:
        """Send on a connection of ``route`` and read the response head."""
        replayable = body is None or isinstance(body, (bytes, str))
        for attempt in (1, 2):
            conn, reused = route.connections.take()
            if not reused:
                conn.timeout = connect_timeout
                try:
                    conn.connect()
                except (Urllib3Error, OSError) as err:  # ssl.SSLError, CertificateError, a refused tunnel
                    conn.close()
                    raise _connect_error(err, route.where) from err
                warn_if_unverified(conn)
            conn.timeout = connect_timeout
            write_cut = False
            try:
                conn.request(method, target, body=body, headers=headers, preload_content=False,
                             decode_content=True, enforce_content_length=True)
            except ValueError as err:  # a header or method http.client will not send; nothing went out
                conn.close()
                raise _header_error(err, headers) from None
            except OSError as err:
                if err.errno not in _WRITE_CUT and not isinstance(err, BrokenPipeError):
                    conn.close()
                    raise _response_error(err, route.where) from err
                write_cut = True  # the server closed the connection, or answered early: read what it said
            conn.timeout = read_timeout
            try:
                return Exchange(conn.getresponse(), conn, route.connections)
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                if reused and write_cut and attempt == 1 and replayable and not isinstance(err, socket.timeout):
                    continue  # an idle connection the server had closed: it saw no complete request
                raise _response_error(err, route.where) from err
        raise AssertionError("unreachable")  # pragma: no cover


def with_default_transport(kwargs: dict) -> dict:
    """``kwargs`` plus :class:`Urllib3Transport`, unless the caller chose a transport or brought a session.

    To use requests instead, pass ``transport=azure.core.pipeline.transport.RequestsTransport()``; a
    ``session=`` (a requests session) gets azure-core's ``RequestsTransport`` too.
    """
    if "transport" not in kwargs and "session" not in kwargs:
        kwargs["transport"] = Urllib3Transport(**kwargs)
    return kwargs

