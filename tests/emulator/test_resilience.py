"""Oversized input, slow clients and hundreds of connections leave the emulator serving others.

The emulator runs with a short ``--client-timeout`` so slow clients are cut off within the test;
every loop here is bounded and every socket is closed by the test at the end.
"""
from __future__ import annotations

import asyncio
import json
import re
import select
import socket
import time
from typing import Dict, List, Tuple

import pytest

from acs_identity_emulator.testing import running_emulator

from .hmac_client import RawClient, rfc1123, sign

V = "2023-10-01"
CLIENT_TIMEOUT = "2"
JSON = "application/json; charset=utf-8"
SLOW_HEADER_CLIENTS = 200
SLOW_BODY_CLIENTS = 50
CONCURRENT = 500


@pytest.fixture(scope="module")
def hardened():
    with running_emulator(args=["--client-timeout", CLIENT_TIMEOUT]) as emulator:
        yield emulator


@pytest.fixture
def client(hardened):
    return RawClient(hardened.endpoint, hardened.access_key)


def signed_create(client: RawClient) -> bytes:
    path = f"/identities?api-version={V}"
    headers = sign(client.access_key, "POST", path, client.host, rfc1123(), b"")
    lines = [f"POST {path} HTTP/1.1", f"Host: {client.host}", "Content-Length: 0", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def raw_exchange(client: RawClient, data: bytes) -> bytes:
    """Send bytes on a fresh socket; everything the server answers before closing (or b"" on reset)."""
    answer = b""
    with socket.create_connection((client.hostname, client.port), timeout=15) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may answer and close before reading everything
        try:
            while not _complete(answer):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    return answer


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(sep and length and len(body) >= int(length.group(1)))


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    assert match, answer[:200]
    return int(match.group(1))


def assert_still_serving(client: RawClient) -> None:
    reply = client.create(V)
    assert reply.status == 201 and reply.headers["Content-Type"] == JSON


def oversized_requests(client: RawClient) -> List[Tuple[str, bytes, Tuple[int, ...]]]:
    host = f"Host: {client.host}\r\n"
    path = f"/identities?api-version={V}"
    return [
        ("header over 32 KiB", f"POST {path} HTTP/1.1\r\n{host}X-Big: {'a' * 40000}\r\n\r\n".encode(), (400, 431)),
        ("200 headers", (f"POST {path} HTTP/1.1\r\n{host}" + "".join(f"X-H{i}: v\r\n" for i in range(200))
                         + "\r\n").encode(), (400, 431)),
        ("request line over 64 KiB", f"GET /{'a' * 100000} HTTP/1.1\r\n{host}\r\n".encode(), (400, 414)),
        ("huge declared body", f"POST {path} HTTP/1.1\r\n{host}Content-Length: 1000000000000\r\n\r\n".encode(),
         (413,)),
        ("2 MiB body", f"POST {path} HTTP/1.1\r\n{host}Content-Length: {2 << 20}\r\n\r\n".encode()
         + b"{" * (2 << 20), (413,)),
        ("3 MiB chunked body", f"POST {path} HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n".encode()
         + b"".join(b"10000\r\n" + b"a" * 65536 + b"\r\n" for _ in range(48)) + b"0\r\n\r\n", (413,)),
        ("20 KiB header within limits", f"POST {path} HTTP/1.1\r\n{host}X-Pad: {'b' * 20000}\r\n"
         "Content-Length: 0\r\nConnection: close\r\n\r\n".encode(), (401,)),
    ]


@pytest.mark.slow
def test_oversized_headers_and_bodies(client, hardened):
    for name, data, statuses in oversized_requests(client):
        answer = raw_exchange(client, data)
        if answer:  # a reset before any answer is acceptable only for bodies the server refused early
            assert status_of(answer) in statuses, (name, answer[:200])
            if status_of(answer) in (401, 413):
                head, _, body = answer.partition(b"\r\n\r\n")
                assert JSON.encode() in head, name
                assert set(json.loads(body)["error"]) >= {"code", "message"}, name
        else:
            assert 413 in statuses, name
        assert_still_serving(client)
    # Refused requests are logged as one line each, never as a traceback quoting their bytes.
    assert "Traceback" not in hardened.stderr_text()


class SlowClients:
    """Sockets that never finish their request: headers or body trickle in, a few bytes at a time."""

    def __init__(self, client: RawClient) -> None:
        self.client = client
        self.open: Dict[socket.socket, str] = {}
        self.answers: Dict[socket.socket, bytes] = {}
        self.closed_by_server: List[Tuple[str, bytes]] = []

    def start(self, header_clients: int, body_clients: int) -> None:
        path = f"/identities?api-version={V}"
        for kind, count in (("headers", header_clients), ("body", body_clients)):
            for _ in range(count):
                sock = socket.create_connection((self.client.hostname, self.client.port), timeout=5)
                if kind == "headers":
                    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {self.client.host}\r\n".encode())
                else:
                    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {self.client.host}\r\n"
                                 "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\": \"".encode())
                sock.setblocking(False)
                self.open[sock] = kind
                self.answers[sock] = b""

    def trickle(self) -> None:
        """One more byte-sized step for every slow socket; notes the ones the server closed."""
        readable, _, _ = select.select(list(self.open), [], [], 0)
        for sock in readable:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                self.answers[sock] += chunk
                continue
            self._closed(sock)
        for sock, kind in list(self.open.items()):
            try:
                sock.send(b"X-Slow: 1\r\n" if kind == "headers" else b"a")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        kind = self.open.pop(sock, None)
        if kind is not None:
            self.closed_by_server.append((kind, self.answers[sock]))
            sock.close()

    def close_all(self) -> None:
        for sock in list(self.open):
            sock.close()
        self.open.clear()


@pytest.mark.slow
def test_slow_clients_are_cut_off_while_others_are_served(client):
    slow = SlowClients(client)
    try:
        slow.start(SLOW_HEADER_CLIENTS, SLOW_BODY_CLIENTS)
        served = served_while_slow_open = 0
        deadline = time.monotonic() + 45  # a bound on the test, not a speed requirement
        while (slow.open or served < 20) and time.monotonic() < deadline:
            slow.trickle()
            if served < 20:
                still_open = len(slow.open)
                assert_still_serving(client)
                served += 1
                served_while_slow_open += still_open > 0
            time.sleep(0.05)
        assert served == 20 and served_while_slow_open >= 1
        assert not slow.open, f"{len(slow.open)} slow connections were never cut off"
    finally:
        slow.close_all()
    kinds = [kind for kind, _ in slow.closed_by_server]
    assert kinds.count("headers") == SLOW_HEADER_CLIENTS and kinds.count("body") == SLOW_BODY_CLIENTS
    for kind, answer in slow.closed_by_server:
        if kind == "headers":
            assert answer == b""  # closed without a request ever being handled
        else:
            assert status_of(answer) == 408, answer[:200]
            head, _, body = answer.partition(b"\r\n\r\n")
            assert JSON.encode() in head and json.loads(body)["error"]["code"] == "RequestTimeout"
    assert_still_serving(client)


async def _exchange(host: str, port: int, request: bytes, all_connected: asyncio.Event,
                    connected: List[int], total: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        connected.append(1)
        if len(connected) == total:
            all_connected.set()
        await all_connected.wait()
        writer.write(request)
        await writer.drain()
        return await reader.read()  # Connection: close, so this reads the whole answer
    finally:
        writer.close()


@pytest.mark.slow
def test_five_hundred_concurrent_connections():
    # The default client timeout: idle connections waiting for the other 499 must not be cut off.
    with running_emulator() as emulator:
        _five_hundred_concurrent_connections(RawClient(emulator.endpoint, emulator.access_key))


def _five_hundred_concurrent_connections(client: RawClient) -> None:
    async def scenario() -> Tuple[List[bytes], int]:
        all_connected = asyncio.Event()
        connected: List[int] = []
        tasks = [asyncio.ensure_future(_exchange(client.hostname, client.port, signed_create(client),
                                                 all_connected, connected, CONCURRENT))
                 for _ in range(CONCURRENT)]
        await asyncio.wait_for(all_connected.wait(), 60)
        # 500 open connections and one more caller: it is served before any of them speaks.
        other = await asyncio.get_running_loop().run_in_executor(None, lambda: client.create(V).status)
        return await asyncio.wait_for(asyncio.gather(*tasks), 60), other

    answers, other = asyncio.run(scenario())
    assert other == 201
    statuses = [status_of(answer) for answer in answers]
    assert statuses == [201] * CONCURRENT
    ids = {json.loads(answer.partition(b"\r\n\r\n")[2])["identity"]["id"] for answer in answers}
    assert len(ids) == CONCURRENT
    assert_still_serving(client)
