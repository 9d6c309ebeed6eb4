"""Defects found in review, each pinned by a test that failed before its fix."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from acs_identity_emulator.keys import Signer, new_rsa_key
from acs_identity_emulator.store import Store
from acs_identity_emulator.testing import EmulatorError, EmulatorProcess, running_emulator

from .hmac_client import RawClient, rfc1123, user_path

V = "2023-10-01"
PREVIEW = "2025-03-02-preview"
TEAMS_AUD = "https://auth.msft.communication.azure.com"
JSON = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def trusted_signer():
    return Signer(new_rsa_key())


@pytest.fixture(scope="module")
def own(tmp_path_factory, trusted_signer):
    """An emulator of this module's own (the clock and settings tests must not disturb the shared one),
    trusting a key the tests hold, so they can sign tokens with any payload."""
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [trusted_signer.jwk()]}))
    with running_emulator(args=["--trusted-issuer-jwks", str(jwks)]) as emulator:
        yield emulator


@pytest.fixture
def own_client(own):
    yield RawClient(own.endpoint, own.access_key)
    own.clear_faults()


def post_raw(emulator, path, body: bytes):
    request = urllib.request.Request(emulator.endpoint + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def raw_exchange(client, request: bytes) -> bytes:
    with socket.create_connection((client.hostname, client.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def db_value(path, sql, *params):
    with sqlite3.connect(path) as connection:
        row = connection.execute(sql, params).fetchone()
    return row[0] if row else None


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# 1 -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_failed_flush_rolls_back_and_later_writes_stay_durable(tmp_path):
    """A lastTokenIssuedAt flush that fails (database locked) must not leave a transaction open that
    swallows later acknowledged writes, nor stop the flusher."""
    db = str(tmp_path / "identity.db")
    emulator = EmulatorProcess(data=db).start()
    try:
        client = RawClient(emulator.endpoint, emulator.access_key)
        first = client.new_user(V)
        assert client.issue(first, V, {"scopes": ["chat"]}).status == 200  # batched, flushed later
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            # The periodic flush gives up quickly on the lock, and must say so.
            wait_for(lambda: "could not write lastTokenIssuedAt" in emulator.stderr_text())
        finally:
            other.execute("COMMIT")
            other.close()
        acked = [client.new_user(V) for _ in range(3)]
        assert client.revoke(acked[0], V).status == 204
        # The flusher survived and retried the ids whose write failed.
        assert wait_for(lambda: db_value(db, "SELECT last_token_issued_at FROM identities WHERE id = ?", first))
        emulator.kill()
        emulator.start()
        client = RawClient(emulator.endpoint, emulator.access_key)
        for user in acked:
            assert client.issue(user, V, {"scopes": ["chat"]}).status == 200
        assert db_value(db, "SELECT revision FROM identities WHERE id = ?", acked[0]) == 1
        assert "Traceback" not in emulator.stderr_text()
    finally:
        emulator.close()


def test_store_flush_failure_keeps_ids_dirty(tmp_path):
    db = str(tmp_path / "identity.db")
    store = Store(db, busy_timeout=0.05)
    identity, _ = store.create("8:acs:x_1", None)
    store.note_token_issued(identity, 1234.5)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    store.flush()  # fails: locked
    other.execute("COMMIT")
    other.close()
    store.create("8:acs:x_2", None)
    # Visible to another connection: committed, not stuck in a transaction left open by the failed flush.
    assert db_value(db, "SELECT COUNT(*) FROM identities") == 2
    store.close()  # flushes the id kept dirty; no nested BEGIN
    assert db_value(db, "SELECT last_token_issued_at FROM identities WHERE id = ?", "8:acs:x_1") == 1234.5


# 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [b"x-ms-content-sha256: \xff\xfe", b"Host: \xffx", b"Host: h\xc3\xa9"])
def test_non_ascii_signed_header_is_401(client, header):
    name = header.split(b":")[0]
    headers = {b"Host": b"Host: " + client.host.encode(),
               b"x-ms-content-sha256": b"x-ms-content-sha256: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
    headers[name] = header
    request = (b"POST /identities?api-version=%s HTTP/1.1\r\n%s\r\nx-ms-date: %s\r\n%s\r\n"
               b"Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc\r\n"
               b"Content-Length: 0\r\nConnection: close\r\n\r\n"
               % (V.encode(), headers[b"Host"], rfc1123().encode(), headers[b"x-ms-content-sha256"]))
    answer = raw_exchange(client, request)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "InvalidAuthenticationInfo"


# 3 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("custom_id", ["\ud800", "a\x00b", "tab\there", "bell\x07", "c1\x85"])
def test_unencodable_or_control_custom_id_is_400(client, custom_id):
    reply = client.create(PREVIEW, json.dumps({"customId": custom_id}).encode())
    assert reply.status == 400, reply.raw
    assert reply.error["code"] == "ValidationError" and reply.error["target"] == "customId"
    assert client.create(PREVIEW, {"customId": "caf\u00e9 \U0001f600"}).status == 201


# 4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b'{"clockOffsetSeconds": NaN}', b'{"clockOffsetSeconds": Infinity}',
                                  b'{"clockOffsetSeconds": -Infinity}', b'{"clockOffsetSeconds": 1e999}',
                                  b'{"tokenTtlSeconds": NaN}'])
def test_non_finite_settings_are_refused(own, own_client, body):
    status, document = post_raw(own, "/emulator/settings", body)
    assert status == 400, document
    assert own.admin("GET", "settings")["clockOffsetSeconds"] == 0
    # The request-date window still applies.
    stale = own_client.create(V, date="Mon, 01 Jan 2001 00:00:00 GMT")
    assert stale.status == 401 and stale.error["code"] == "RequestDateOutOfRange"


def test_non_finite_numbers_in_request_bodies_are_400(client):
    for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        reply = client.create(V, b'{"createTokenWithScopes": ["chat"], "unknown": %s}' % literal)
        assert reply.status == 400 and reply.error["target"] == "body", (literal, reply.raw)


@pytest.mark.parametrize("exp", [float("nan"), float("inf")])
def test_bearer_token_with_non_finite_exp_is_refused(own, own_client, trusted_signer, exp):
    token = trusted_signer.sign({"aud": "https://communication.azure.com", "exp": exp, "oid": "x"})
    reply = own_client.create(V, sign_request=False, headers=bearer(token))
    assert reply.status == 401 and reply.error["code"] == "InvalidAccessToken", reply.raw
    good = trusted_signer.sign({"aud": "https://communication.azure.com", "exp": time.time() + 600, "oid": "x"})
    assert own_client.create(V, sign_request=False, headers=bearer(good)).status == 201


# 5 -------------------------------------------------------------------------------------------
def test_token_ttl_setting_is_capped(emulator, client):
    with pytest.raises(EmulatorError, match="400"):
        emulator.admin("POST", "settings", {"tokenTtlSeconds": 10**30})
    with pytest.raises(EmulatorError, match="400"):
        emulator.admin("POST", "settings", {"tokenTtlSeconds": 86401})
    emulator.set_token_ttl_seconds(86400)
    assert client.issue(client.new_user(V), V, {"scopes": ["chat"]}).status == 200


@pytest.mark.parametrize("claims", [{"exp": 1e300}, {"exp": float("nan")}, {"exp": "tomorrow"},
                                    {"exp": time.time() + 10**15}])
def test_teams_exchange_with_absurd_exp_is_401(own, own_client, trusted_signer, claims):
    token = trusted_signer.sign({"aud": TEAMS_AUD, "oid": "o1", "appid": "a1", "scp": "Teams.ManageCalls", **claims})
    reply = own_client.exchange(V, {"token": token, "appId": "a1", "userId": "o1"})
    assert reply.status == 401 and reply.error["code"] == "InvalidAccessToken", reply.raw


def test_teams_exchange_with_huge_expires_in_is_401(emulator, client):
    token = emulator.mint_aad_token(oid="o1", appid="a1", aud=TEAMS_AUD, expires_in=10**15)
    reply = client.exchange(V, {"token": token, "appId": "a1", "userId": "o1"})
    assert reply.status == 401 and reply.error["code"] == "InvalidAccessToken", reply.raw


# 6 -------------------------------------------------------------------------------------------
def test_sigterm_with_a_request_in_flight_exits_cleanly_and_flushes(tmp_path):
    emulator = EmulatorProcess(data=str(tmp_path / "identity.db")).start()
    try:
        client = RawClient(emulator.endpoint, emulator.access_key)
        user = client.new_user(PREVIEW)
        emulator.inject_fault(operation="create", delay_seconds=300)

        def delayed() -> None:
            try:
                client.create(V)
            except OSError:
                pass  # the server goes away mid-request

        threading.Thread(target=delayed, daemon=True).start()
        assert wait_for(lambda: emulator.admin("GET", "faults")["faults"] == [])  # taken: the request is in
        assert client.issue(user, PREVIEW, {"scopes": ["chat"]}).status == 200
        assert emulator.stop() == 0
        assert "Traceback" not in emulator.stderr_text()
        emulator.start()
        client = RawClient(emulator.endpoint, emulator.access_key)
        assert "lastTokenIssuedAt" in client.get(user, PREVIEW).json
    finally:
        emulator.close()


# 7 -------------------------------------------------------------------------------------------
def test_secret_files_are_replaced_atomically(tmp_path, monkeypatch):
    from acs_identity_emulator import keys

    path = tmp_path / "access-key"
    path.write_bytes(b"old")
    path.chmod(0o644)
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(keys.os, "replace", lambda src, dst: (replaced.append((src, dst)), real_replace(src, dst)))
    keys.write_private(str(path), b"new")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o600
    assert len(replaced) == 1 and os.path.dirname(replaced[0][0]) == str(tmp_path)
    assert os.listdir(tmp_path) == ["access-key"]


def start_failure(args, files=None, tmp_path=None):
    for name, content in (files or {}).items():
        (tmp_path / name).write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "acs_identity_emulator", *args],
                            check=False, capture_output=True, timeout=60)
    return result.returncode, result.stdout, result.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("files,extra,needle", [
    ({"access-key": b""}, [], "access-key"),
    ({"access-key": b"not base64!"}, [], "access-key"),
    ({"acs-signing-key.pem": b"garbage"}, [], "acs-signing-key.pem"),
    ({"aad-signing-key.pem": b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, [],
     "aad-signing-key.pem"),
    ({"jwks.json": b'{"keys":[{"kty":"RSA"}]}'}, ["--trusted-issuer-jwks"], "jwks.json"),
    ({"jwks.json": b"[1, 2]"}, ["--trusted-issuer-jwks"], "jwks.json"),
    ({"identity.db": b"this is not a database" * 100}, [], "identity.db"),
])
def test_bad_startup_input_is_one_clear_line(tmp_path, files, extra, needle):
    args = ["--data", str(tmp_path / "identity.db")]
    if extra:
        args += [extra[0], str(tmp_path / "jwks.json")]
    code, stdout, stderr = start_failure(args, files, tmp_path)
    assert code == 1 and stdout == b"", stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], stderr


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_port_out_of_range_is_a_usage_error(port):
    code, stdout, stderr = start_failure(["--in-memory", "--port", port])
    assert code == 2 and stdout == b"" and "Traceback" not in stderr and "--port" in stderr


# 8 -------------------------------------------------------------------------------------------
def test_id_with_trailing_newline_is_invalid(client):
    user = client.new_user(V)
    for suffix in ("\n", "\r\n"):
        reply = client.issue(user + suffix, V, {"scopes": ["chat"]})
        assert reply.status == 400 and reply.error["target"] == "id", reply.raw
    reply = client.send("DELETE", user_path(user) + "%0A" + f"?api-version={V}")
    assert reply.status == 400 and reply.error["target"] == "id"


# 9 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [
    {"status": 503, "headers": {"Content-Length": "abc"}},
    {"status": 503, "headers": {"transfer-encoding": "chunked"}},
    {"status": 503, "headers": {"Connection": "close"}},
    {"status": 503, "headers": {"Bad Name": "x"}},
    {"status": 503, "headers": {"": "x"}},
    {"status": 503, "headers": {"X-Ok": "caf\u00e9"}},
    {"status": 503, "headers": {"X-Ok": "\ud800"}},
    {"status": 101}, {"status": 100}, {"status": 199},
    {"status": 204, "body": {"a": 1}},
])
def test_fault_that_would_break_framing_is_refused(emulator, fault):
    with pytest.raises(EmulatorError, match="400"):
        emulator.inject_fault(operation="create", **fault)
    assert emulator.admin("GET", "faults")["faults"] == []


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_fault_status_has_no_json_content_type(emulator, client, status):
    emulator.inject_fault(operation="create", status=status, headers={"X-Injected": "yes"})
    reply = client.create(V)
    assert reply.status == status and reply.raw == b""
    assert reply.headers["X-Injected"] == "yes" and "Content-Type" not in reply.headers
    assert client.create(V).status == 201  # the connection framing held


# 10 ------------------------------------------------------------------------------------------
def test_teams_exchange_follows_the_server_clock_and_nbf(own, own_client, trusted_signer):
    def teams(**claims):
        token = trusted_signer.sign({"aud": TEAMS_AUD, "oid": "o1", "appid": "a1", "scp": "Teams.ManageChats",
                                     "exp": int(time.time()) + 3600, **claims})
        return own_client.exchange(V, {"token": token, "appId": "a1", "userId": "o1"}, date=rfc1123(own_now()))

    offset = 7200

    def own_now():
        return time.time() + own.admin("GET", "settings")["clockOffsetSeconds"]

    assert teams().status == 200
    not_yet = teams(nbf=int(time.time()) + 3000)
    assert not_yet.status == 401 and not_yet.error["code"] == "InvalidAccessToken", not_yet.raw
    own.set_clock_offset_seconds(offset)
    try:
        expired = teams()  # valid for an hour by the machine's clock, expired by the server's
        assert expired.status == 401 and expired.error["code"] == "InvalidAccessToken", expired.raw
    finally:
        own.set_clock_offset_seconds(0)


# 11 ------------------------------------------------------------------------------------------
def test_delay_only_fault_then_normal_processing(emulator, client):
    emulator.inject_fault(operation="create", delay_seconds=0.05, count=2)
    assert client.create(V).status == 201
    unsigned = client.create(V, sign_request=False)
    assert unsigned.status == 401 and unsigned.error["code"] == "Unauthorized"


# 12 ------------------------------------------------------------------------------------------
def test_identity_cache_is_bounded_and_keeps_dirty_entries(tmp_path):
    db = str(tmp_path / "identity.db")
    store = Store(db, cache_limit=8)
    created = [store.create(f"8:acs:x_{n}", None)[0] for n in range(30)]
    for identity in created[:12]:  # more dirty entries than the cap: none may be evicted
        store.note_token_issued(identity, 100.0 + int(identity.id.rsplit("_", 1)[1]))
    for n in range(30, 60):
        store.create(f"8:acs:x_{n}", None)
        store.get(f"8:acs:x_{n % 30}")
    assert store.stats()["cachedIdentities"] <= 12 + 8
    store.flush()
    for n in range(60):
        store.get(f"8:acs:x_{n}")
    assert store.stats()["cachedIdentities"] <= 8
    assert store.get("8:acs:x_3").last_token_issued_at == 103.0
    store.close()
    assert db_value(db, "SELECT COUNT(*) FROM identities WHERE last_token_issued_at IS NOT NULL") == 12


# 13 ------------------------------------------------------------------------------------------
def test_helper_leaks_no_descriptors_across_restarts():
    before = len(os.listdir("/proc/self/fd"))
    emulator = EmulatorProcess(in_memory=True).start()
    emulator.kill()
    emulator.start()
    emulator.restart()
    assert emulator.close() == 0
    assert len(os.listdir("/proc/self/fd")) == before
