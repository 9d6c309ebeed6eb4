"""The default sync transport: azure-core's ``HttpTransport`` contract over urllib3, without requests.

Why urllib3: it is the HTTP layer under requests (and so under azure-core's ``RequestsTransport``),
maintained for years against real servers and proxies: content decoding, CONNECT tunnels (IPv6
literals bracketed on every Python this package supports), TLS proxies, early answers while a body
is still being sent, repeated headers, chunked streaming, IDN hosts, thread-safe pools that close
their sockets when collected. Using it directly keeps all of that and behaves as ``RequestsTransport``
does, because it is the same code on the wire.

Why without requests: in a steady ``get_token`` loop the requests layer itself (session setting
merges, environment and ``~/.netrc`` lookups, request preparation, hooks, cookie jar) cost more
client CPU than the whole raw signed request. This transport keeps only what the pipeline needs:
per origin, once, it resolves the environment's proxy (``HTTP(S)_PROXY``, ``NO_PROXY`` read as
requests reads it, CIDR blocks included) and CA bundle, and keeps the urllib3 pool for that origin;
per request it is a dictionary lookup and ``urlopen`` on that pool. Measured with ``make bench``
(``bench/README.md``): a plain ``requests`` session costs about twice the CPU per call of this
transport; httpx/httpcore are not installed with this package and parse HTTP in pure Python (h11).

Where it differs from ``RequestsTransport``, on purpose:

* no cookie jar (requests stores ``Set-Cookie`` answers and sends them back; the Identity service
  sets none, and a client that replays cookies between calls surprises more than it helps);
* a header value with a line break is a ``ValueError`` before anything is sent, and the message
  does not quote the value (requests raises ``InvalidHeader``, which azure-core turns into a
  retried ``ServiceResponseError`` quoting it);
* a read timeout while the body is being read is a ``ServiceResponseTimeoutError`` (requests's path
  makes it a ``ServiceRequestError``, which would tell the retry policy that nothing was sent);
* ``Transfer-Encoding: gzip, chunked`` is decoded (requests removes the chunking and hands over the
  gzip bytes); ``socks`` proxies are refused with a ``ValueError``.
"""

from __future__ import annotations

import errno
import logging
import os
import ssl
import threading
import zlib
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import unquote, urlencode, urlsplit

import urllib3
from azure.core.configuration import ConnectionConfiguration
from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import DecodeError as Urllib3DecodeError
from urllib3.exceptions import HTTPError as Urllib3Error

from ._env_proxies import PerOrigin, environment_proxies, proxy_for

_LOGGER = logging.getLogger(__name__)

_DEFAULT_POOL_SIZE = 10  # connections kept per origin, as requests keeps
_MAX_MANAGERS = 16  # distinct (proxy, TLS settings) combinations kept
_BLOCKSIZE = 32768  # body write size, as azure-core's requests adapter sets it
# Retries are the pipeline's job (RetryPolicy); urllib3 raises the first error as it happened.
_NO_RETRIES = urllib3.Retry(total=False, redirect=False, raise_on_status=False)
# What a requests session sends unless the request says otherwise.
_DEFAULT_HEADERS = (
    ("Accept-Encoding", ", ".join(part.strip() for part in
                                  urllib3.util.make_headers(accept_encoding=True)["accept-encoding"].split(","))),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)
_CLOSED = ("HTTP transport has already been closed. You may check if you're calling a function outside of the "
           "`with` of your client creation, or if you called `close()` on your client already.")


# -- requests out ------------------------------------------------------------------------------------
def _target(url: str) -> Tuple[str, str]:
    """(origin ``scheme://netloc``, ``/path?query``) of ``url``, split without re-quoting anything."""
    start = url.find("://") + 3
    end = len(url)
    for mark in "/?#":
        index = url.find(mark, start)
        if index != -1 and index < end:
            end = index
    target = url[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    return url[:end], target


def _headers(request: Any) -> Dict[str, str]:
    """The request's headers plus requests' defaults for those it does not set; the request is not changed."""
    headers = request.headers  # azure-core keeps them in a case-insensitive dict
    merged = dict(headers.items())
    for name, value in _DEFAULT_HEADERS:
        if name not in headers:
            merged[name] = value
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


def _check_header_error(err: ValueError, headers: Dict[str, str]) -> ValueError:
    """http.client refuses header injection by quoting the value (a secret, maybe); say which header, not what."""
    for name, value in headers.items():
        if "\r" in str(value) or "\n" in str(value) or ":" in name or not name.strip():
            return ValueError(f"Invalid HTTP header {name!r}: names are tokens and values cannot contain line breaks")
    return err


# -- proxies and TLS ---------------------------------------------------------------------------------
def _proxy_parts(proxy_url: str) -> Tuple[str, Dict[str, str]]:
    """(proxy URL without credentials, ``Proxy-Authorization`` header if the URL carried user:password)."""
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
    netloc = f"[{host}]" if ":" in host else host
    headers = {}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = urllib3.util.make_headers(proxy_basic_auth=credentials)
    return f"{parts.scheme}://{netloc}:{port}" if port else f"{parts.scheme}://{netloc}", headers


def _existing(path: str, what: str) -> str:
    # ssl's own error for a missing file does not say which file; requests names it, so do we.
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"{what} not found", path)
    return path


def _ssl_context(verify: Any, cert: Any) -> ssl.SSLContext:
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


def _environment_ca_bundle() -> Optional[str]:
    return (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            or os.environ.get("SSL_CERT_FILE") or None)


class _Route:
    """Where requests for one origin go: the urllib3 pool, and the prefix of the absolute-form target
    (for plain http through a proxy) or None (origin-form)."""

    __slots__ = ("pool", "prefix", "where")

    def __init__(self, pool: Any, prefix: Optional[str], where: str) -> None:
        self.pool = pool
        self.prefix = prefix
        self.where = where


# -- responses in ------------------------------------------------------------------------------------
def _is_incomplete(err: ProtocolError) -> bool:
    import http.client

    return any(isinstance(arg, http.client.IncompleteRead) for arg in err.args)


def _body_error(err: Exception, *, raw: bool = False, in_send: bool = False) -> Exception:
    """The azure-core error for a failure while reading a body, as RequestsTransport raises it."""
    if isinstance(err, ReadTimeoutError):
        return ServiceResponseTimeoutError(err, error=err)
    if isinstance(err, Urllib3DecodeError):
        return ServiceResponseError(err, error=err) if in_send else DecodeError(err, error=err)
    if isinstance(err, ProtocolError) and not raw:
        if _is_incomplete(err):
            _LOGGER.warning("Incomplete download.")
            return IncompleteReadError(err, error=err)
        return HttpResponseError(err, error=err)
    return ServiceResponseError(err, error=err)


def _send_error(err: Urllib3Error) -> Exception:
    """The azure-core error for a failure before a response head arrived, as RequestsTransport raises it."""
    if isinstance(err, NewConnectionError):  # refused, unreachable, name not resolved
        return ServiceRequestError(err, error=err)
    if isinstance(err, ConnectTimeoutError):
        return ServiceRequestTimeoutError(err, error=err)
    if isinstance(err, ReadTimeoutError):
        return ServiceResponseTimeoutError(err, error=err)
    if isinstance(err, ProtocolError):  # the connection broke after the request went out
        return ServiceResponseError(err, error=err)
    return ServiceRequestError(err, error=err)  # TLS, proxy: the request never got through


_TRANSFER_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def _transfer_codings(raw: Any) -> List[str]:
    """The transfer codings urllib3 leaves undone (it removes ``chunked`` only), last applied first."""
    value = raw.headers.get("transfer-encoding")
    if not value:
        return []
    codings = [coding.strip().lower() for coding in value.split(",")]
    return [coding for coding in reversed(codings) if coding in _TRANSFER_DECODERS]


def _inflate(chunks: Iterator[bytes], codings: List[str], limit: int) -> Iterator[bytes]:
    """``chunks`` with ``codings`` undone, at most ``limit`` bytes at a time (a small body cannot blow up)."""
    for coding in codings:
        chunks = _inflate_one(chunks, _TRANSFER_DECODERS[coding], limit)
    return chunks


def _inflate_one(chunks: Iterator[bytes], wbits: int, limit: int) -> Iterator[bytes]:
    decoder = zlib.decompressobj(wbits)
    try:
        for chunk in chunks:
            pending = chunk
            while pending:
                out = decoder.decompress(pending, limit)
                if out:
                    yield out
                pending = decoder.unconsumed_tail
        tail = decoder.flush()
        if tail:
            yield tail
    except zlib.error as err:
        raise DecodeError(f"The transfer-coded body could not be decoded: {err}", error=err) from err


def _stream(response: Any, decompress: bool) -> Iterator[bytes]:
    raw = response.internal_response
    block_size = response.block_size
    codings = _transfer_codings(raw)
    try:
        if codings:
            # Undo the transfer codings first; a content coding under them is decoded only if it is gzip/deflate.
            chunks = _inflate(raw.stream(block_size, decode_content=False), codings, block_size)
            content = (raw.headers.get("content-encoding") or "").strip().lower()
            if decompress and content in _TRANSFER_DECODERS:
                chunks = _inflate(chunks, [content], block_size)
            yield from chunks
        else:
            yield from raw.stream(block_size, decode_content=decompress)
    except Urllib3Error as err:
        raw.close()
        raise _body_error(err, raw=not decompress) from err
    except Exception:
        raw.close()
        raise
    raw.release_conn()


def _stream_download(pipeline: Any, response: Any, *, decompress: bool = True, **kwargs: Any) -> Iterator[bytes]:
    if kwargs:
        raise TypeError(f"Got an unexpected keyword argument: {next(iter(kwargs))}")
    return _stream(response, decompress)


class Urllib3TransportResponse(LegacyHttpResponse):
    """The pipeline's (legacy) response: status, case-insensitive headers, the body read unless streamed."""

    def __init__(self, request: Any, raw: Any, block_size: int) -> None:
        super().__init__(request, raw, block_size=block_size)
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = case_insensitive_dict(raw.headers)
        self.content_type = self.headers.get("Content-Type")
        self._body: Optional[bytes] = None

    def _read(self) -> None:
        raw = self.internal_response
        if _transfer_codings(raw):
            self._body = b"".join(_stream(self, True))
            return
        try:
            self._body = raw.read(decode_content=True)
        except Urllib3Error as err:
            raw.close()
            raise _body_error(err, in_send=True) from err

    def body(self) -> bytes:
        if self._body is None:
            self._read()
        return self._body  # type: ignore[return-value]

    def stream_download(self, pipeline: Any, **kwargs: Any) -> Iterator[bytes]:
        return _stream_download(pipeline, self, **kwargs)


class RestUrllib3TransportResponse(HttpResponseImpl):
    """The ``azure.core.rest.HttpResponse`` that ``send_request`` returns: read(), json(), iter_bytes()..."""

    def __init__(self, *, request: Any, internal_response: Any, block_size: int) -> None:
        headers = case_insensitive_dict(internal_response.headers)
        super().__init__(request=request, internal_response=internal_response, block_size=block_size,
                         status_code=internal_response.status, reason=internal_response.reason, headers=headers,
                         content_type=headers.get("Content-Type"), stream_download_generator=_stream_download)


# -- the transport -----------------------------------------------------------------------------------
class Urllib3Transport(HttpTransport):
    """An azure-core sync transport over urllib3 connection pools.

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
    :keyword int pool_maxsize: Connections kept per origin; default 10.

    Thread-safe: urllib3's pools hand each request its own connection. ``close()`` closes them; a closed
    transport refuses further requests, as ``RequestsTransport`` does. A transport that is never closed
    closes its sockets when it is garbage collected or the interpreter exits.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.connection_config = ConnectionConfiguration(**kwargs)
        self._use_env_settings = kwargs.get("use_env_settings", True)
        self._proxies: Dict[str, str] = dict(kwargs.get("proxies") or {})
        self._pool_maxsize = int(kwargs.get("pool_maxsize", _DEFAULT_POOL_SIZE))
        self._env_ca = _environment_ca_bundle() if self._use_env_settings else None
        self._routes = PerOrigin()  # (origin, verify, cert, proxies) -> _Route
        self._managers: Dict[tuple, urllib3.PoolManager] = {}
        self._timeouts: Dict[tuple, urllib3.Timeout] = {}
        self._lock = threading.Lock()
        self._closed = False

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
            managers, self._managers = list(self._managers.values()), {}
            self._routes.clear()
        for manager in managers:
            manager.clear()

    # -- where a request goes ----------------------------------------------------------------------
    def _route(self, origin: str, verify: Any, cert: Any, proxies: Optional[Dict[str, str]]) -> _Route:
        key = (origin, verify, cert, tuple(sorted(proxies.items())) if proxies else None)
        route = self._routes.get(key)
        if route is None:
            route = self._routes.remember(key, self._new_route(origin, verify, cert, proxies or {}))
        return route  # type: ignore[return-value]

    def _new_route(self, origin: str, verify: Any, cert: Any, proxies: Dict[str, str]) -> _Route:
        try:
            url = urllib3.util.parse_url(origin)
        except urllib3.exceptions.LocationParseError as err:
            raise ValueError(f"the request URL's host cannot be sent: {err}") from None
        scheme = (url.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"the default transport speaks http and https only; got a {scheme or 'relative'} URL")
        if not url.host:
            raise ValueError("the request URL has no host")
        host = url.host.strip("[]")  # IDNA-encoded and lowercased by urllib3
        port = url.port or (443 if scheme == "https" else 80)
        merged = dict(proxies)
        no_proxy = merged.pop("no_proxy", None)
        if self._use_env_settings:
            merged = {**environment_proxies(host, url.port, no_proxy), **merged}
        proxy_url = proxy_for(merged, scheme, host)
        manager = self._manager(proxy_url, verify, cert)
        pool = manager.connection_from_host(host, port, scheme)
        if proxy_url and scheme == "http":
            return _Route(pool, f"http://{url.netloc}", f"{origin} through a proxy")
        return _Route(pool, None, origin)

    def _manager(self, proxy_url: Optional[str], verify: Any, cert: Any) -> urllib3.PoolManager:
        key = (proxy_url, verify, cert)
        manager = self._managers.get(key)
        if manager is not None:
            return manager
        proxy, proxy_headers = _proxy_parts(proxy_url) if proxy_url else (None, {})
        context = _ssl_context(verify, cert)
        options: Dict[str, Any] = {"num_pools": 32, "maxsize": self._pool_maxsize, "block": False,
                                   "blocksize": _BLOCKSIZE, "ssl_context": context,
                                   "cert_reqs": "CERT_NONE" if verify is False else "CERT_REQUIRED"}
        if verify is False:
            options["assert_hostname"] = False
        if proxy:
            manager = urllib3.ProxyManager(proxy, proxy_headers=proxy_headers,
                                           proxy_ssl_context=context if proxy.startswith("https:") else None,
                                           **options)
        else:
            manager = urllib3.PoolManager(**options)
        with self._lock:
            if self._closed:
                raise ValueError(_CLOSED)
            if len(self._managers) >= _MAX_MANAGERS:
                self._managers.clear()  # their pools stay alive while routes use them, and close when collected
            return self._managers.setdefault(key, manager)

    def _timeout(self, connect: Any, read: Any) -> urllib3.Timeout:
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            if len(self._timeouts) >= 16:
                self._timeouts.clear()
            timeout = self._timeouts[key] = urllib3.Timeout(connect=connect, read=read)
        return timeout

    # -- sending -----------------------------------------------------------------------------------
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
        if proxies:
            proxies = {**self._proxies, **proxies}
        else:
            proxies = self._proxies

        origin, target = _target(request.url)
        headers = _headers(request)
        body = _body(request, headers)
        timeout = self._timeout(connect_timeout, read_timeout)
        for attempt in (1, 2):
            route = self._route(origin, verify, cert, proxies)
            try:
                raw = route.pool.urlopen(
                    request.method, route.prefix + target if route.prefix else target, body=body, headers=headers,
                    retries=_NO_RETRIES, redirect=False, assert_same_host=False, timeout=timeout,
                    preload_content=False, decode_content=True, enforce_content_length=True)
                break
            except ClosedPoolError:
                # The pool was let go (too many origins at once) between lookup and use; nothing was sent.
                self._routes.pop((origin, verify, cert, tuple(sorted(proxies.items())) if proxies else None), None)
                if attempt == 2 or self._closed:
                    raise ServiceRequestError(f"The connection pool for {route.where} was closed") from None
            except Urllib3Error as err:
                raise _send_error(err) from err
            except ValueError as err:
                raise _check_header_error(err, headers) from None

        block_size = config.data_block_size
        if hasattr(request, "content"):  # an azure.core.rest request (send_request): a rest response
            response: Any = RestUrllib3TransportResponse(request=request, internal_response=raw,
                                                         block_size=block_size)
            if not kwargs.get("stream", False):
                try:
                    response.read()
                finally:
                    response.close()
            return response
        response = Urllib3TransportResponse(request, raw, block_size)
        if not kwargs.get("stream", False):
            response.body()  # read now: errors surface inside the retry policy, the connection goes back
        return response


def with_default_transport(kwargs: dict) -> dict:
    """``kwargs`` plus :class:`Urllib3Transport`, unless the caller chose a transport or brought a session.

    To use requests instead, pass ``transport=azure.core.pipeline.transport.RequestsTransport()``; a
    ``session=`` (a requests session) gets azure-core's ``RequestsTransport`` too.
    """
    if "transport" not in kwargs and "session" not in kwargs:
        kwargs["transport"] = Urllib3Transport(**kwargs)
    return kwargs
