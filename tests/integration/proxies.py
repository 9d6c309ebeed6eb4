"""A real forward proxy on loopback for the transport tests: absolute-form requests for http, CONNECT
tunnels for https. It records what passed through it, so "went through the proxy" is observed on a
socket, not inferred from a mock."""

from __future__ import annotations

import http.server
import select
import socket
import urllib.request


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

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list = []
        self.auth: list = []

    @property
    def paths(self) -> list:
        """The target of every request that passed through, in order."""
        return [path for _, path in self.seen]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """Absolute-form requests for http, CONNECT tunnels for https."""

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server's naming
        self.server.seen.append(("CONNECT", self.path))
        self.server.auth.append(self.headers.get("Proxy-Authorization"))
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        pump(self.connection, upstream)

    def do_POST(self) -> None:  # noqa: N802
        self.server.seen.append(("POST", self.path))
        self.server.auth.append(self.headers.get("Proxy-Authorization"))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        skip = ("proxy-connection", "connection", "proxy-authorization")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        request = urllib.request.Request(self.path, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as upstream:
            payload = upstream.read()
            self.send_response(upstream.status)
            self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass
