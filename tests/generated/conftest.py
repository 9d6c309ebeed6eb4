"""A small real HTTP server on a loopback port that records what the generated client sends."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs

import pytest


@dataclass
class RecordedRequest:
    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RecordingServer:
    """Replies to every request with the reply set by the test and keeps what it received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._reply: tuple[int, Optional[Any], dict[str, str]] = (
            500, {"error": {"code": "NoReplySet", "message": "set a reply"}}, {})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.recorder = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="recording-server", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def reply_with(self, status: int, body: Optional[Any] = None, headers: Optional[dict[str, str]] = None) -> None:
        with self._lock:
            self._requests.clear()
            self._reply = (status, body, dict(headers or {}))

    def received(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _record(self, request: RecordedRequest) -> tuple[int, Optional[Any], dict[str, str]]:
        with self._lock:
            self._requests.append(request)
            return self._reply


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as the service does; every reply carries Content-Length.
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        raw_path, _, query = self.path.partition("?")
        status, payload, headers = self.server.recorder._record(  # type: ignore[attr-defined]
            RecordedRequest(
                method=self.command,
                raw_path=raw_path,
                query=parse_qs(query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
        )
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def recording_server():
    server = RecordingServer().start()
    yield server
    server.stop()
