"""The default sync transport: azure-core's ``HttpTransport`` contract over the standard library's ``http.client``.

Why not requests: in a steady ``get_token`` loop, requests and urllib3 spent more client CPU than
the whole raw signed request (session setting merges, request preparation, the urllib3 pool, two
writes per request). This transport does only what the pipeline needs: keep-alive connections in a
thread-safe pool, one write per request, proxies and CA bundles from the environment resolved once
per origin, and azure-core's error types. Use ``transport=RequestsTransport()`` (or pass
``session=``) to go back to requests.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import select
import socket
import ssl
import threading
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import unquote, urlencode, urlsplit

from azure.core.configuration import ConnectionConfiguration
from azure.core.exceptions import (
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict

from ._env_proxies import PerOrigin, environment_proxy, proxy_for

_MAX_SSL_CONTEXTS = 16
_DEFAULT_POOL_SIZE = 10  # idle connections kept per (origin, proxy, TLS settings), as urllib3's default
# Methods a server must treat as safe to repeat: only these are resent after a reused connection
# closes without answering, because for a POST that can mean "processed, then the answer was lost".
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_STALE_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)

_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]").search
_Target = Tuple[str, str, int, str, str]  # scheme, host (no brackets), port, Host header, origin-form path


def _split_url(url: str) -> _Target:
    """Split without re-quoting: the HMAC policy signed the path and query exactly as they are."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise ValueError(f"HttpClientTransport speaks http and https only; got a {scheme or 'relative'} URL")
    end = len(rest)
    for mark in "/?#":
        index = rest.find(mark)
        if index != -1 and index < end:
            end = index
    netloc, path = rest[:end], rest[end:]
    path = path.partition("#")[0]
    if not path.startswith("/"):
        path = "/" + path
    if _UNSENDABLE(path):
        # A caller's mistake (send_request with a raw space, say), not a network failure: say so before connecting.
        raise ValueError("the request URL's path or query contains spaces or control characters; "
                         "percent-encode them")
    netloc = netloc.rpartition("@")[2]  # userinfo is never sent in the Host header
    host, port = netloc, 443 if scheme == "https" else 80
    if not netloc.endswith("]") and ":" in netloc:
        host, _, port_text = netloc.rpartition(":")
        if port_text:
            port = int(port_text)
    return scheme, host.strip("[]"), port, netloc, path


_MAX_LINE = 65536  # the limits http.client itself applies to a response head
_MAX_HEADERS = 100


class _Headers:
    """The parsed response head: what ``HTTPResponse`` and this module ask of ``HTTPResponse.headers``.

    http.client parses a response head with the email package, which was the largest cost of
    receiving a response in the profile; a head is just ``Name: value`` lines.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: List[Tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: Any = None) -> Any:
        name = name.lower()
        for key, value in self._fields:
            if key.lower() == name:
                return value
        return default

    def get_all(self, name: str, failobj: Any = None) -> Any:
        name = name.lower()
        return [value for key, value in self._fields if key.lower() == name] or failobj

    def items(self) -> List[Tuple[str, str]]:
        return list(self._fields)

    def keys(self) -> List[str]:
        return [key for key, _ in self._fields]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._fields)


def _read_head(fp: Any) -> _Headers:
    fields: List[Tuple[str, str]] = []
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            return _Headers(fields)
        if line[:1] in (b" ", b"\t") and fields:  # obsolete line folding: continues the previous value
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip().decode("iso-8859-1"))
            continue
        if len(fields) >= _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        name, sep, value = line.decode("iso-8859-1").partition(":")
        if not sep:
            raise http.client.HTTPException("malformed response header line")
        fields.append((name.strip(), value.strip()))


class _Response(http.client.HTTPResponse):
    """``HTTPResponse`` with a lean head parser; reading the body is http.client's own code."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _read_head(self.fp)  # an interim 100 Continue: skip its head, the real one follows
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _read_head(self.fp)  # type: ignore[assignment]
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or status < 200 or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True  # the body ends when the server closes the connection


class _Connection(http.client.HTTPConnection):
    response_class = _Response

    # Connect with the connect timeout; every later read uses the read timeout (set per request).
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        # Head and body in one write (http.client writes them separately): one segment for a small
        # request, so no delayed-ACK wait and one syscall (and TLS record) fewer.
        if isinstance(message_body, bytes) and not encode_chunked:
            self._buffer.extend((b"", message_body))
            message = b"\r\n".join(self._buffer)
            del self._buffer[:]
            self.send(message)
        else:
            http.client.HTTPConnection._send_output(self, message_body, encode_chunked=encode_chunked)


class _TLSConnection(http.client.HTTPSConnection):
    response_class = _Response
    _send_output = _Connection._send_output

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _is_dropped(sock: Any) -> bool:
    """An idle keep-alive socket that is readable was closed by the server (or sent junk): don't reuse it."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class _Pool:
    """Idle keep-alive connections per key; a connection is out of the pool while a request uses it."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._idle: Dict[tuple, List[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by close(): connections out at that moment are not taken back

    def get(self, key: tuple) -> Tuple[Optional[http.client.HTTPConnection], int]:
        """An idle connection for ``key`` (or None) and the generation it belongs to, read together."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
                generation = self.generation
            if conn is None or not _is_dropped(conn.sock):
                return conn, generation
            conn.close()

    def put(self, key: tuple, conn: http.client.HTTPConnection, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                idle = self._idle.setdefault(key, [])
                if len(idle) < self._maxsize:
                    idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self.generation += 1
            conns = [conn for idle in self._idle.values() for conn in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(idle) for idle in self._idle.values())


class _Exchange:
    """One response being read; gives its connection back to the pool once the body has been read."""

    __slots__ = ("raw", "_conn", "_pool", "_key", "_generation", "_done")

    def __init__(self, raw: http.client.HTTPResponse, conn: http.client.HTTPConnection, pool: _Pool,
                 key: tuple, generation: int) -> None:
        self.raw = raw
        self._conn = conn
        self._pool = pool
        self._key = key
        self._generation = generation
        self._done = False

    def read_all(self) -> bytes:
        try:
            data = self.raw.read()
        except (OSError, http.client.HTTPException) as err:
            self._discard()
            raise _response_error(err) from err
        self._finish()
        return data

    def chunks(self, size: int) -> Iterator[bytes]:
        while not self._done:
            try:
                chunk = self.raw.read(size)
            except (OSError, http.client.HTTPException) as err:
                self._discard()
                raise _response_error(err) from err
            if not chunk:
                self._finish()
                return
            yield chunk

    def close(self) -> None:
        # A body left unread would be read as the next response: such a connection is not reused.
        if not self._done:
            if self.raw.isclosed():
                self._finish()
            else:
                self._discard()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self.raw.will_close or self._conn.sock is None:
            self._conn.close()
        else:
            self._pool.put(self._key, self._conn, self._generation)

    def _discard(self) -> None:
        self._done = True
        self.raw.close()
        self._conn.close()


def _response_error(err: BaseException) -> ServiceResponseError:
    if isinstance(err, socket.timeout):
        return ServiceResponseTimeoutError(f"Timed out reading the response: {err}", error=err)
    return ServiceResponseError(f"The connection failed while waiting for or reading the response: "
                                f"{type(err).__name__}: {err}", error=err)


def _stream_download(pipeline: Any, response: Any, **kwargs: Any) -> Iterator[bytes]:
    # ``decompress`` is accepted and ignored: we ask for identity encoding, and bytes are passed on as sent.
    exchange: _Exchange = response.internal_response
    return exchange.chunks(response.block_size)


class HttpClientTransportResponse(LegacyHttpResponse):
    """The pipeline's (legacy) response: status, case-insensitive headers, the body in memory unless streamed."""

    def __init__(self, request: Any, exchange: _Exchange, block_size: int) -> None:
        super().__init__(request, exchange, block_size=block_size)
        raw = exchange.raw
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = case_insensitive_dict(raw.getheaders())
        self.content_type = self.headers.get("Content-Type")
        self._body: Optional[bytes] = None

    def body(self) -> bytes:
        if self._body is None:
            self._body = self.internal_response.read_all()
        return self._body

    def stream_download(self, pipeline: Any, **kwargs: Any) -> Iterator[bytes]:
        return _stream_download(pipeline, self, **kwargs)


class RestHttpClientTransportResponse(HttpResponseImpl):
    """The ``azure.core.rest.HttpResponse`` that ``send_request`` returns: read(), json(), iter_bytes()..."""

    def __init__(self, *, request: Any, internal_response: _Exchange, block_size: int) -> None:
        raw = internal_response.raw
        headers = case_insensitive_dict(raw.getheaders())
        super().__init__(request=request, internal_response=internal_response, block_size=block_size,
                         status_code=raw.status, reason=raw.reason, headers=headers,
                         content_type=headers.get("Content-Type"), stream_download_generator=_stream_download)


def _body_bytes(request: Any, headers: Dict[str, str]) -> Optional[bytes]:
    if getattr(request, "files", None):
        raise ValueError("HttpClientTransport does not send multipart file uploads; "
                         "use transport=azure.core.pipeline.transport.RequestsTransport()")
    data = getattr(request, "data", None)
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, dict):  # form fields without files
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data).encode("ascii")
    # File-like bodies and generators are read whole: bodies of this API are small JSON documents.
    if hasattr(data, "read"):
        data = data.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk) for chunk in data)


def _parse_proxy(proxy_url: str) -> Tuple[str, int, Optional[str]]:
    """(host, port, Proxy-Authorization value or None) of an http:// proxy URL."""
    if "://" not in proxy_url:
        proxy_url = "http://" + proxy_url
    parts = urlsplit(proxy_url)
    if parts.scheme != "http":
        raise ValueError(f"HttpClientTransport supports http:// proxies only, not {parts.scheme}://; "
                         "use transport=azure.core.pipeline.transport.RequestsTransport()")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        # urllib's message would quote the text after the last ':', which can be part of the password.
        raise ValueError("the proxy URL is malformed; percent-encode special characters in its user and "
                         "password") from None
    if not host:
        raise ValueError("the proxy URL has no host")
    auth = None
    if parts.username is not None:
        userpass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(userpass.encode("utf-8")).decode("ascii")
    return host, port or 80, auth


class HttpClientTransport(HttpTransport):
    """An azure-core sync transport over ``http.client`` with keep-alive connection pooling.

    :keyword float connection_timeout: Seconds to connect (and finish the TLS handshake); default 300.
    :keyword float read_timeout: Seconds to wait for each read of the response; default 300.
    :keyword connection_verify: ``True`` (default: the environment's CA bundle, else certifi's, else the
        system store), ``False`` (no verification) or a path to a CA bundle file or directory.
    :keyword connection_cert: Client certificate: a PEM path holding cert and key, or ``(cert, key)``.
    :keyword dict proxies: ``{"http": url, "https": url}`` (also ``scheme://host`` and ``all`` keys);
        per call too. The environment fills the schemes left out.
    :keyword bool use_env_settings: Read ``HTTP(S)_PROXY``/``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``/
        ``CURL_CA_BUNDLE``/``SSL_CERT_FILE``, once per origin; default True.
    :keyword int pool_maxsize: Idle connections kept per origin; default 10.

    Thread-safe: each request takes its own connection. ``close()`` closes the idle connections; the
    transport reconnects if used again.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.connection_config = ConnectionConfiguration(**kwargs)
        self._use_env_settings = kwargs.get("use_env_settings", True)
        self._proxies: Dict[str, str] = dict(kwargs.get("proxies") or {})
        self._pool = _Pool(int(kwargs.get("pool_maxsize", _DEFAULT_POOL_SIZE)))
        self._env_by_origin = PerOrigin()  # origin -> (proxy URL, CA bundle) from the environment
        self._ssl_contexts: Dict[Tuple[Any, Any], ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> HttpClientTransport:
        self.open()
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def open(self) -> None:
        pass  # connections are made on demand

    def close(self) -> None:
        self._pool.close()

    # -- settings ---------------------------------------------------------------------------------
    def _env_for(self, scheme: str, host: str, netloc: str) -> Tuple[Optional[str], Optional[str]]:
        """(proxy URL from the environment or None, CA bundle from the environment or None) for an origin."""
        found = self._env_by_origin.get((scheme, netloc))
        if found is None:
            ca_bundle = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                         or os.environ.get("SSL_CERT_FILE") or None)
            found = self._env_by_origin.remember((scheme, netloc), (environment_proxy(scheme, host), ca_bundle))
        return found

    def _ssl_context(self, verify: Any, cert: Any) -> ssl.SSLContext:
        key = (verify, cert)
        context = self._ssl_contexts.get(key)
        if context is None:
            context = _make_ssl_context(verify, cert)
            with self._lock:
                if len(self._ssl_contexts) >= _MAX_SSL_CONTEXTS:
                    self._ssl_contexts.clear()
                self._ssl_contexts[key] = context
        return context

    # -- sending ----------------------------------------------------------------------------------
    def send(self, request: Any, *, proxies: Optional[Dict[str, str]] = None, **kwargs: Any) -> Any:
        config = self.connection_config
        connect_timeout = kwargs.pop("connection_timeout", config.timeout)
        if isinstance(connect_timeout, tuple):
            connect_timeout, read_timeout = connect_timeout
        else:
            read_timeout = kwargs.pop("read_timeout", config.read_timeout)
        verify = kwargs.pop("connection_verify", config.verify)
        cert = kwargs.pop("connection_cert", config.cert)
        if isinstance(cert, list):
            cert = tuple(cert)  # it keys the pool and the TLS context cache
        stream = kwargs.get("stream", False)

        scheme, host, port, netloc, path = _split_url(request.url)
        env_proxy = env_ca = None
        if self._use_env_settings:
            env_proxy, env_ca = self._env_for(scheme, host, netloc)
        merged = {**self._proxies, **proxies} if proxies else self._proxies
        proxy_url = proxy_for(merged, scheme, host) if merged else None
        proxy_url = proxy_url or env_proxy
        if verify is True and env_ca:
            verify = env_ca

        headers = dict(request.headers)
        body = _body_bytes(request, headers)
        target = path
        proxy = _parse_proxy(proxy_url) if proxy_url else None
        if proxy and scheme == "http":
            target = f"http://{netloc}{path}"  # absolute-form through a plain HTTP proxy
            if proxy[2]:
                headers["Proxy-Authorization"] = proxy[2]
        tls = (verify, cert) if scheme == "https" else None
        key = (scheme, host, port, proxy_url, tls)
        method = request.method.upper()
        lines = _head_lines(method, netloc, headers, body)

        for attempt in (1, 2):
            conn, generation = self._pool.get(key)
            reused = conn is not None
            if conn is None:
                conn = self._connect(scheme, host, port, proxy=proxy, tls=tls, timeout=connect_timeout)
            try:
                conn.sock.settimeout(read_timeout)
                _write(conn, method, target, lines, body)
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                if reused and attempt == 1:
                    continue  # the server closed the idle connection; it saw no complete request
                raise _response_error(err) from err
            try:
                raw = conn.getresponse()
            except _STALE_ERRORS as err:
                conn.close()
                if reused and attempt == 1 and method in _IDEMPOTENT:
                    continue
                raise _response_error(err) from err
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                raise _response_error(err) from err
            break

        exchange = _Exchange(raw, conn, self._pool, key, generation)
        block_size = config.data_block_size
        if hasattr(request, "content"):  # an azure.core.rest request (send_request): a rest response
            response: Any = RestHttpClientTransportResponse(request=request, internal_response=exchange,
                                                            block_size=block_size)
            if not stream:
                try:
                    response.read()
                finally:
                    response.close()
            return response
        response = HttpClientTransportResponse(request, exchange, block_size)
        if not stream:
            response.body()  # read now: errors surface inside the retry policy, the connection goes back
        return response

    def _connect(self, scheme: str, host: str, port: int, *, proxy: Optional[Tuple[str, int, Optional[str]]],
                 tls: Optional[tuple], timeout: Any) -> http.client.HTTPConnection:
        connect_host, connect_port = (proxy[0], proxy[1]) if proxy else (host, port)
        try:
            if tls is None:
                conn: http.client.HTTPConnection = _Connection(connect_host, connect_port, timeout=timeout)
            else:
                context = self._ssl_context(*tls)
                conn = _TLSConnection(connect_host, connect_port, timeout=timeout, context=context)
                if proxy:
                    conn.set_tunnel(host, port, headers={"Proxy-Authorization": proxy[2]} if proxy[2] else None)
            conn.connect()
        except socket.timeout as err:
            raise ServiceRequestTimeoutError(f"Timed out connecting to {_where(scheme, host, port, proxy)}",
                                             error=err) from err
        except (OSError, http.client.HTTPException, ValueError) as err:
            raise ServiceRequestError(f"Cannot connect to {_where(scheme, host, port, proxy)}: "
                                      f"{type(err).__name__}: {err}", error=err) from err
        return conn


def _where(scheme: str, host: str, port: int, proxy: Optional[tuple]) -> str:
    # The proxy's credentials stay out of messages: host and port only.
    via = f" through the proxy {proxy[0]}:{proxy[1]}" if proxy else ""
    return f"{scheme}://{host}:{port}{via}"


_LEGAL_NAME = re.compile(r"[^:\s][^:\r\n]*").fullmatch


def _head_lines(method: str, netloc: str, headers: Dict[str, str], body: Optional[bytes]) -> List[bytes]:
    """The request's header lines, encoded and checked once, before a connection is taken."""
    lines = []
    has_host = has_encoding = False
    for name, raw_value in headers.items():
        lower = name.lower()
        if lower in {"content-length", "transfer-encoding"}:
            continue  # computed below from the bytes actually sent
        if lower == "host":
            has_host = True
        elif lower == "accept-encoding":
            has_encoding = True
        value = raw_value if isinstance(raw_value, str) else str(raw_value)
        # As http.client's putheader checks, without the email machinery; the value is never echoed.
        if not _LEGAL_NAME(name) or "\r" in value or "\n" in value:
            raise ValueError(f"Invalid HTTP header {name!r}: names are tokens and values cannot contain line breaks")
        lines.append(f"{name}: {value}".encode("latin-1"))
    if not has_host:
        lines.append(b"Host: " + netloc.encode("ascii"))
    if not has_encoding:
        lines.append(b"Accept-Encoding: identity")
    if body is not None:
        lines.append(b"Content-Length: %d" % len(body))
    elif method not in ("GET", "HEAD"):
        lines.append(b"Content-Length: 0")
    return lines


def _write(conn: http.client.HTTPConnection, method: str, target: str, lines: List[bytes],
           body: Optional[bytes]) -> None:
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    conn._buffer.extend(lines)  # noqa: SLF001 - already encoded and checked by _head_lines
    conn.endheaders(message_body=body)  # one write with the body: see _Connection._send_output


def _make_ssl_context(verify: Any, cert: Any) -> ssl.SSLContext:
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


def with_default_transport(kwargs: dict) -> dict:
    """``kwargs`` plus :class:`HttpClientTransport`, unless the caller chose a transport or brought a session.

    To use requests instead, pass ``transport=azure.core.pipeline.transport.RequestsTransport()``; a
    ``session=`` (a requests session) gets azure-core's ``RequestsTransport`` too.
    """
    if "transport" not in kwargs and "session" not in kwargs:
        kwargs["transport"] = HttpClientTransport(**kwargs)
    return kwargs
