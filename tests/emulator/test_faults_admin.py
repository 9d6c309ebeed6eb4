"""Fault injection and the admin surface's loopback restriction."""
from __future__ import annotations

import http.client
import time

import pytest
from aiohttp.test_utils import make_mocked_request

from acs_identity_emulator.admin import is_loopback

V = "2021-03-07"


def test_status_fault_with_retry_after(client, emulator):
    emulator.inject_fault(count=2, status=429, headers={"Retry-After": "3"})
    for _ in range(2):
        reply = client.create(V)
        assert reply.status == 429
        assert reply.headers["Retry-After"] == "3"
        assert reply.error["code"] == "TooManyRequests"
    assert client.create(V).status == 201


def test_fault_for_one_operation_only(client, emulator):
    user = client.new_user()
    emulator.inject_fault(operation="issueAccessToken", status=503, body={"error": {"code": "Busy", "message": "m"}})
    assert emulator.admin("GET", "faults")["faults"][0]["operation"] == "issueAccessToken"
    assert client.create(V).status == 201
    reply = client.issue(user, V, {"scopes": ["chat"]})
    assert reply.status == 503 and reply.json == {"error": {"code": "Busy", "message": "m"}}
    assert client.issue(user, V, {"scopes": ["chat"]}).status == 200
    assert emulator.admin("GET", "faults") == {"faults": []}


def test_drop_connection(client, emulator):
    emulator.inject_fault(drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.create(V)
    assert client.create(V).status == 201


def test_lost_response_after_processing(client, emulator):
    before = emulator.admin("GET", "stats")["identities"]
    emulator.inject_fault(operation="create", drop=True, after_processing=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.create(V)
    assert emulator.admin("GET", "stats")["identities"] == before + 1


def test_status_after_processing(client, emulator):
    user = client.new_user()
    emulator.inject_fault(operation="delete", status=500, after_processing=True)
    assert client.delete(user, V).status == 500
    assert client.delete(user, V).status == 404  # the first one did delete


def test_delay(client, emulator):
    emulator.inject_fault(delay_seconds=0.3)
    started = time.monotonic()
    assert client.create(V).status == 201
    assert time.monotonic() - started >= 0.3


def test_clear_faults(client, emulator):
    emulator.inject_fault(count=5, status=503)
    emulator.clear_faults()
    assert client.create(V).status == 201


@pytest.mark.parametrize("address,expected", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.5", False), ("192.168.1.1", False), ("2001:db8::1", False), ("", False), (None, False),
    ("not-an-ip", False),
])
def test_is_loopback(address, expected):
    assert is_loopback(address) is expected


class _Transport:
    def __init__(self, peer):
        self._peer = peer

    def get_extra_info(self, name, default=None):
        return self._peer if name == "peername" else default


@pytest.mark.asyncio
async def test_admin_refuses_non_loopback_caller():
    from acs_identity_emulator.server import Config, Emulator

    emulator = Emulator(Config(data=None))
    try:
        handler = emulator.pipeline.handle
        for peer, status in ((("203.0.113.7", 5555), 403), (("127.0.0.1", 5555), 200)):
            request = make_mocked_request("GET", "/emulator/health", app=emulator.app, transport=_Transport(peer))
            response = await handler(request)
            assert response.status == status
        request = make_mocked_request("POST", "/emulator/faults", app=emulator.app,
                                      transport=_Transport(("198.51.100.1", 1)))
        assert (await handler(request)).status == 403
        assert emulator.faults.list() == []
    finally:
        await emulator.stop()
