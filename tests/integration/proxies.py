"""A real forward proxy on loopback for the transport tests: absolute-form requests for http, CONNECT
tunnels for https. It records what passed through it, so "went through the proxy" is observed on a
socket, not inferred from a mock.

It can listen on IPv6 loopback, speak TLS itself (an ``https://`` proxy), and resolve names of its
own (``hosts``), so an internationalised host name reaches a local server without DNS.
"""

from __future__ import annotations

import http.client
import http.server
import select
import socket
import ssl
import threading
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit


def pump(a: socket.socket, b: socket.socket) -> None:
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 30)
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


class ForwardProxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, ipv6: bool = False, tls: Optional[ssl.SSLContext] = None,
                 hosts: Optional[Dict[str, Tuple[str, int]]] = None) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.tls = tls
        self.hosts = dict(hosts or {})  # name the client asked for -> where the proxy really connects
        super().__init__(("::1" if ipv6 else "127.0.0.1", 0), _ProxyHandler)
        self.seen: list = []
        self.auth: list = []
        self.host_headers: list = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the handler's thread (setup), not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    @property
    def paths(self) -> list:
        """The target of every request that passed through, in order."""
        return [path for _, path in self.seen]

    @property
    def url(self) -> str:
        host = "[::1]" if self.address_family == socket.AF_INET6 else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.server_address[1]}"

    def upstream(self, host: str, port: int) -> Tuple[str, int]:
        return self.hosts.get(host, (host, port))


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Absolute-form requests for http (relayed as they came), CONNECT tunnels for https."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (OSError, ssl.SSLError):
                self.request.close()
                raise
        super().setup()

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server's naming
        self._record()
        host, _, port = self.path.rpartition(":")
        if not (host.startswith("[") and host.endswith("]")) and ":" in host:
            self.send_error(400, "IPv6 literal without brackets")  # as real proxies answer
            return
        upstream = socket.create_connection(self.server.upstream(host.strip("[]"), int(port)))
        for sock in (self.connection, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        pump(self.connection, upstream)

    def _relay(self) -> None:
        self._record()
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        skip = ("proxy-connection", "connection", "proxy-authorization", "keep-alive")
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in skip]
        upstream = http.client.HTTPConnection(*self.server.upstream(target.hostname, target.port or 80), timeout=10)
        try:
            upstream.putrequest(self.command, target.path + (f"?{target.query}" if target.query else ""),
                                skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                upstream.putheader(name, value)
            upstream.endheaders(body if body or "Content-Length" in self.headers else None)
            answer = upstream.getresponse()
            payload = answer.read()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                    self.send_header(name, value)
        finally:
            upstream.close()
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PUT = _relay  # noqa: N815

    def _record(self) -> None:
        self.server.seen.append((self.command, self.path))
        self.server.auth.append(self.headers.get("Proxy-Authorization"))
        self.server.host_headers.append(self.headers.get("Host"))

    def log_message(self, *args) -> None:
        pass
