"""What the transport tests' small servers share: loopback (IPv4 or IPv6), optional TLS, a background
thread while used as a context manager, and the byte pump of relays and tunnels."""

from __future__ import annotations

import select
import socket
import ssl
import threading
from typing import Optional


def pump(a: socket.socket, b: socket.socket) -> None:
    """Copies bytes both ways until either side closes (or 30 s of silence)."""
    for sock in (a, b):  # relay each write at once (no Nagle wait on small segments)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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


class LoopbackServer:
    """Mixin for ``socketserver`` servers: call :meth:`listen` instead of the server's ``__init__``."""

    daemon_threads = True
    block_on_close = False
    tls: Optional[ssl.SSLContext] = None

    def listen(self, handler, *, ipv6: bool = False, tls: Optional[ssl.SSLContext] = None) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.tls = tls
        super().__init__(("::1" if ipv6 else "127.0.0.1", 0), handler)  # type: ignore[call-arg]
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def get_request(self):
        sock, address = super().get_request()  # type: ignore[misc]
        if self.tls is not None:
            # The handshake runs in the handler's thread (see handshake()), not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    @property
    def url(self) -> str:
        host = "[::1]" if self.address_family == socket.AF_INET6 else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.server_address[1]}"


def handshake(sock: socket.socket) -> None:
    """Finishes the TLS handshake of an accepted connection (a no-op for plain sockets)."""
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.do_handshake()
        except (OSError, ssl.SSLError):
            sock.close()
            raise
