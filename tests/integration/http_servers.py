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
import zlib
from typing import Callable, List, Optional, Tuple

from .loopback import LoopbackServer, handshake, pump


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


class ScriptedServer(LoopbackServer, socketserver.ThreadingTCPServer):
    allow_reuse_address = True

    def __init__(self, answer: Answer, *, ipv6: bool = False, tls: Optional[ssl.SSLContext] = None) -> None:
        self.answer = answer
        self.connections = 0
        self.closed_by_client = 0
        self.requests: List[Request] = []
        self.listen(_Handler, ipv6=ipv6, tls=tls)


class _Handler(socketserver.StreamRequestHandler):
    def setup(self) -> None:
        handshake(self.request)
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


class TcpRelay(LoopbackServer, socketserver.ThreadingTCPServer):
    """Forwards bytes to ``upstream`` and counts the client connections it accepted."""

    def __init__(self, upstream: Tuple[str, int]) -> None:
        self.upstream = upstream
        self.accepted = 0
        self.listen(_RelayHandler)

    @property
    def endpoint(self) -> str:
        return self.url


class _RelayHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.accepted += 1
        pump(self.request, socket.create_connection(self.server.upstream))
