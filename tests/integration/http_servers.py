"""Small real HTTP/1.1 servers on loopback whose answers the tests script byte for byte.

Each server reads request heads itself (nothing is parsed for it by a framework), hands the request
to an ``answer`` function, and records what arrived; so a test can send a compressed body, answer
before the request body was read, pause between chunks or send a malformed header line, and observe
on the socket what the client did.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import ssl
import threading
import zlib
from typing import Callable, List, Optional, Tuple

from .proxies import pump


class Request:
    """One request as it arrived: request line, header pairs (in order), and the body once read."""

    def __init__(self, line: str, headers: List[Tuple[str, str]], rfile) -> None:
        self.method, self.target, _ = (line.split(" ", 2) + ["", ""])[:3]
        self.headers = headers
        self.body: Optional[bytes] = None
        self._rfile = rfile

    def header(self, name: str) -> Optional[str]:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def read_body(self) -> bytes:
        if self.body is None:
            length = int(self.header("Content-Length") or 0)
            self.body = self._rfile.read(length) if length else b""
        return self.body


Answer = Callable[[Request, "socket.socket"], bool]  # writes the response; True keeps the connection open


class ScriptedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, answer: Answer, *, ipv6: bool = False, tls: Optional[ssl.SSLContext] = None) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.answer = answer
        self.tls = tls
        self.connections = 0
        self.closed_by_client = 0
        self.requests: List[Request] = []
        super().__init__(("::1" if ipv6 else "127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    @property
    def url(self) -> str:
        host = "[::1]" if self.address_family == socket.AF_INET6 else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def handle(self) -> None:
        self.server.connections += 1
        while True:
            line = self.rfile.readline(65537)
            if not line:
                self.server.closed_by_client += 1
                return
            if not line.strip():
                return
            headers = []
            while True:
                field = self.rfile.readline(65537)
                if field in (b"\r\n", b"\n", b""):
                    break
                name, _, value = field.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            request = Request(line.decode("latin-1").strip(), headers, self.rfile)
            self.server.requests.append(request)
            if not self.server.answer(request, self.request):
                return


def response(status: str, body: bytes = b"", headers: Tuple[Tuple[str, str], ...] = (), *,
             length: bool = True) -> bytes:
    head = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
    if length:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece) + b"0\r\n\r\n"


def canned(raw: bytes, *, keep_open: bool = True) -> Answer:
    """Reads the body, then sends ``raw`` (a whole response, head and body) for every request."""
    def answer(request: Request, sock: socket.socket) -> bool:
        request.read_body()
        sock.sendall(raw)
        return keep_open

    return answer


def compress(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    raise ValueError(coding)


class CompressingGateway(ScriptedServer):
    """A gateway in front of ``upstream`` that compresses every response body, whatever the client accepts."""

    def __init__(self, upstream: Tuple[str, int], coding: str = "gzip") -> None:
        self.upstream = upstream
        self.coding = coding
        super().__init__(self._forward)

    def _forward(self, request: Request, sock: socket.socket) -> bool:
        body = request.read_body()
        with socket.create_connection(self.upstream, timeout=10) as upstream:
            head = [f"{request.method} {request.target} HTTP/1.1"]
            head += [f"{k}: {v}" for k, v in request.headers if k.lower() not in ("connection", "accept-encoding")]
            head.append("Connection: close")
            upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            answer = b""
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                answer += data
        status_and_headers, _, payload = answer.partition(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        kept = [tuple(line.split(": ", 1)) for line in lines[1:]
                if line.split(":", 1)[0].lower() not in ("content-length", "connection", "transfer-encoding")]
        sock.sendall(response(lines[0].split(" ", 1)[1], compress(payload, self.coding),
                              tuple(kept) + (("Content-Encoding", self.coding),)))
        return True


class TcpRelay(socketserver.ThreadingTCPServer):
    """Forwards bytes to ``upstream`` and counts the client connections it accepted."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, upstream: Tuple[str, int]) -> None:
        self.upstream = upstream
        self.accepted = 0
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> TcpRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RelayHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.accepted += 1
        upstream = socket.create_connection(self.server.upstream)
        for sock in (self.request, upstream):  # relay each write at once (no Nagle wait on small segments)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pump(self.request, upstream)
