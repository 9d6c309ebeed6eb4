"""A real forward proxy on loopback for the transport tests: absolute-form requests for http, CONNECT
tunnels for https. It records what passed through it, so "went through the proxy" is observed on a
socket, not inferred from a mock.

It can listen on IPv6 loopback, speak TLS itself (an ``https://`` proxy), and resolve names of its
own (``hosts``), so an internationalised host name reaches a local server without DNS.
"""

from __future__ import annotations

import http.client
import http.server
import socket
import ssl
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from .loopback import LoopbackServer, handshake, pump


class ForwardProxy(LoopbackServer, http.server.ThreadingHTTPServer):
    def __init__(self, *, ipv6: bool = False, tls: Optional[ssl.SSLContext] = None,
                 hosts: Optional[Dict[str, Tuple[str, int]]] = None) -> None:
        self.hosts = dict(hosts or {})  # name the client asked for -> where the proxy really connects
        self.seen: list = []
        self.auth: list = []
        self.host_headers: list = []
        self.listen(_ProxyHandler, ipv6=ipv6, tls=tls)

    @property
    def paths(self) -> list:
        """The target of every request that passed through, in order."""
        return [path for _, path in self.seen]

    def upstream(self, host: str, port: int) -> Tuple[str, int]:
        return self.hosts.get(host, (host, port))


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Absolute-form requests for http (relayed as they came), CONNECT tunnels for https."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        handshake(self.request)
        super().setup()

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server's naming
        self._record()
        host, _, port = self.path.rpartition(":")
        if not (host.startswith("[") and host.endswith("]")) and ":" in host:
            self.send_error(400, "IPv6 literal without brackets")  # as real proxies answer
            return
        upstream = socket.create_connection(self.server.upstream(host.strip("[]"), int(port)))
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
