"""Admin endpoints answer loopback callers only; secret files are owner-only.

Non-loopback callers are modelled with a transport whose peer address is set, so no traffic ever
goes to a non-loopback address.
"""
from __future__ import annotations

import os
import socket
import stat

import pytest
import pytest_asyncio
from aiohttp.test_utils import make_mocked_request

from acs_identity_emulator.admin import forwarded_addresses, is_loopback
from acs_identity_emulator.server import Config, Emulator
from acs_identity_emulator.testing import running_emulator

from .hmac_client import RawClient

ADMIN_ROUTES = [
    ("GET", "health"), ("GET", "jwks"), ("POST", "tokens/validate"), ("GET", "faults"), ("POST", "faults"),
    ("DELETE", "faults"), ("GET", "settings"), ("POST", "settings"), ("POST", "aad/token"), ("GET", "stats"),
    ("POST", "reset"),
]
# Everything else that reaches the admin gate: wrong methods, unknown endpoints, other spellings.
OTHER_ADMIN_PATHS = [
    ("PUT", "/emulator/health"), ("GET", "/emulator/"), ("GET", "/emulator/nope"), ("GET", "/emulator"),
    ("GET", "/EMULATOR/health"), ("GET", "/%65mulator/health"), ("POST", "/emulator/faults/../faults"),
    ("GET", "/emulator/health?x=1"),
]
SECRET_FILES = ("access-key", "acs-signing-key.pem", "aad-signing-key.pem")
TLS_SECRET_FILES = ("tls-key.pem", "tls-ca-key.pem")


class _Transport:
    def __init__(self, peer):
        self._peer = peer

    def get_extra_info(self, name, default=None):
        return self._peer if name == "peername" else default


@pytest_asyncio.fixture
async def in_process():
    emulator = Emulator(Config(data=None))
    try:
        yield emulator
    finally:
        await emulator.stop()


async def call(emulator, method, path, peer, headers=None):
    request = make_mocked_request(method, path, headers=headers or {}, app=emulator.app,
                                  transport=_Transport(peer))
    return await emulator.pipeline.handle(request)


REMOTE_PEERS = [("203.0.113.7", 5555), ("10.0.0.1", 1), ("::ffff:10.0.0.1", 1, 0, 0), ("2001:db8::1", 1, 0, 0),
                ("0.0.0.0", 1), None]


@pytest.mark.asyncio
@pytest.mark.parametrize("peer", REMOTE_PEERS)
async def test_every_admin_path_refuses_remote_callers(in_process, peer):
    for method, path in [(m, "/emulator/" + p) for m, p in ADMIN_ROUTES] + OTHER_ADMIN_PATHS:
        response = await call(in_process, method, path, peer)
        assert response.status == 403, (method, path, peer)
        assert b"Forbidden" in response.body
    assert in_process.faults.list() == []
    assert in_process.clock.offset_seconds == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("peer", [("127.0.0.1", 1), ("127.8.9.10", 1), ("::1", 1, 0, 0),
                                  ("::ffff:127.0.0.1", 1, 0, 0)])
async def test_loopback_callers_are_served(in_process, peer):
    assert (await call(in_process, "GET", "/emulator/health", peer)).status == 200
    # Other spellings of the prefix are not admin endpoints, but they still pass the gate first.
    assert (await call(in_process, "GET", "/EMULATOR/health", peer)).status == 404


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "127.0.0.1, ::1"}, {"X-Real-IP": "127.0.0.1"},
    {"Forwarded": "for=127.0.0.1"}, {"Forwarded": 'for="[::1]:80"'}, {"Host": "localhost"},
])
async def test_forwarding_headers_cannot_grant_access(in_process, headers):
    response = await call(in_process, "POST", "/emulator/faults", ("198.51.100.1", 1), headers)
    assert response.status == 403


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"},
    {"X-Real-IP": "10.1.2.3"}, {"Forwarded": "for=192.0.2.60;proto=http"},
    {"Forwarded": 'for="[2001:db8:cafe::17]:4711"'}, {"X-Forwarded-For": "unknown"},
    {"X-Forwarded-For": "::ffff:10.0.0.1"},
])
async def test_loopback_proxy_forwarding_a_remote_client_is_refused(in_process, headers):
    """A reverse proxy on the same machine must not turn the admin API into a remote one."""
    assert (await call(in_process, "GET", "/emulator/health", ("127.0.0.1", 1), headers)).status == 403


def test_remote_address_from_request_remote_is_not_trusted():
    """request.remote can be rewritten (clone(remote=...)); the gate reads the socket's peer."""
    emulator = Emulator(Config(data=None))

    async def scenario():
        try:
            request = make_mocked_request("GET", "/emulator/health", app=emulator.app,
                                          transport=_Transport(("203.0.113.7", 1))).clone(remote="127.0.0.1")
            return (await emulator.pipeline.handle(request)).status
        finally:
            await emulator.stop()

    import asyncio

    assert asyncio.run(scenario()) == 403


@pytest.mark.parametrize("address,expected", [
    ("::ffff:127.0.0.1", True), ("::ffff:127.1.2.3", True), ("::ffff:10.0.0.1", False),
    ("::ffff:192.168.0.1", False), ("::127.0.0.1", False), ("0:0:0:0:0:0:0:1", True), ("fe80::1%lo", False),
    ("::1%lo", True),
])
def test_is_loopback_mapped_and_scoped(address, expected):
    assert is_loopback(address) is expected


def test_forwarded_parsing():
    headers = {"Forwarded": 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:4711"',
               "X-Forwarded-For": "198.51.100.2:8080, 127.0.0.1"}
    assert forwarded_addresses(headers) == ["192.0.2.60", "2001:db8::1", "198.51.100.2", "127.0.0.1"]


def test_real_sockets_ipv4_and_ipv6_loopback_are_served():
    with running_emulator() as emulator:
        assert emulator.admin("GET", "health") == {"status": "ok"}
        client = RawClient(emulator.endpoint, emulator.access_key)
        reply = client.send("GET", "/emulator/health", sign_request=False, headers={"X-Forwarded-For": "127.0.0.1"})
        assert reply.status == 200
        reply = client.send("GET", "/emulator/health", sign_request=False, headers={"X-Forwarded-For": "192.0.2.1"})
        assert reply.status == 403 and reply.error["code"] == "Forbidden"
    if not socket.has_ipv6:
        return
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return  # no IPv6 loopback on this machine; the mocked-peer tests above still cover ::1
    with running_emulator(args=["--host", "::1"]) as emulator:
        assert emulator.endpoint.startswith("http://[::1]:")
        assert emulator.admin("GET", "health") == {"status": "ok"}


# -- owner-only files ---------------------------------------------------------------------------

def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_created_folders_and_secret_files_are_owner_only(tmp_path):
    previous = os.umask(0)  # a permissive umask must not widen anything
    try:
        data = tmp_path / "a" / "b" / "identity.db"
        with running_emulator(data=str(data), tls=True):
            pass
    finally:
        os.umask(previous)
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    for name in SECRET_FILES + TLS_SECRET_FILES:
        assert mode(tmp_path / "a" / "b" / name) == 0o600, name


def test_existing_secret_files_with_wide_permissions_are_tightened(tmp_path):
    folder = tmp_path / "store"
    data = str(folder / "identity.db")
    with running_emulator(data=data, tls=True) as emulator:
        key = emulator.access_key
    for name in SECRET_FILES + TLS_SECRET_FILES:
        os.chmod(folder / name, 0o644)
    os.chmod(folder, 0o755)  # a folder the user chose to widen is theirs: left alone
    with running_emulator(data=data, tls=True) as emulator:
        assert emulator.access_key == key
    for name in SECRET_FILES + TLS_SECRET_FILES:
        assert mode(folder / name) == 0o600, name
    assert mode(folder) == 0o755


def test_hand_written_access_key_file_is_tightened(tmp_path):
    folder = tmp_path / "given"
    folder.mkdir(mode=0o755)
    key = "c2VjcmV0LWtleS1mb3ItdGVzdHM="
    (folder / "access-key").write_text(key + "\n")
    os.chmod(folder / "access-key", 0o666)
    with running_emulator(data=str(folder / "identity.db")) as emulator:
        assert emulator.access_key == key
    assert mode(folder / "access-key") == 0o600
    assert mode(folder) == 0o755
