"""SQLite persistence, restarts, concurrency, key files and process lifecycle."""
from __future__ import annotations

import os
import signal
import stat
import threading

import pytest

from acs_identity_emulator.testing import running_emulator

from .hmac_client import RawClient, decode_jwt

V = "2023-10-01"
PREVIEW = "2025-03-02-preview"


def raw(emulator):
    return RawClient(emulator.endpoint, emulator.access_key, emulator.ca_cert)


@pytest.mark.slow
def test_restart_keeps_users_key_and_resource(tmp_path):
    data = str(tmp_path / "identity.db")
    with running_emulator(data=data) as emulator:
        first_connection = emulator.connection_string
        client = raw(emulator)
        user = client.new_user(V)
        revoked_user = client.new_user(V)
        old_token = client.issue(revoked_user, V, {"scopes": ["chat"]}).json["token"]
        client.revoke(revoked_user, V)
        custom = client.create(PREVIEW, {"customId": "erin"}).json["identity"]["id"]
        client.issue(custom, PREVIEW, {"scopes": ["chat"]})

        emulator.restart()
        assert emulator.connection_string == first_connection  # same key, same port
        client = raw(emulator)
        token = client.issue(user, V, {"scopes": ["chat"]}).json["token"]
        assert decode_jwt(token)[1]["resourceId"] == user[6:42]
        assert emulator.token_status(token)["valid"] is True
        assert emulator.token_status(old_token)["reason"] == "revoked"
        again = client.create(PREVIEW, {"customId": "erin"})
        assert again.status == 201 and again.json["identity"]["id"] == custom
        assert "lastTokenIssuedAt" in client.get(custom, PREVIEW).json


def test_secret_files_are_owner_only(tmp_path):
    data = str(tmp_path / "store" / "identity.db")
    with running_emulator(data=data):
        pass
    folder = tmp_path / "store"
    for name in ("access-key", "acs-signing-key.pem", "aad-signing-key.pem"):
        mode = stat.S_IMODE(os.stat(folder / name).st_mode)
        assert mode == 0o600, (name, oct(mode))


@pytest.mark.slow
def test_eight_threads_create_distinct_persisted_users(tmp_path):
    data = str(tmp_path / "identity.db")
    with running_emulator(data=data) as emulator:
        client = raw(emulator)
        ids, errors = [], []
        lock = threading.Lock()

        def worker():
            try:
                for _ in range(10):
                    reply = client.create(V)
                    assert reply.status == 201
                    with lock:
                        ids.append(reply.json["identity"]["id"])
            except Exception as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(ids) == len(set(ids)) == 80
        emulator.kill()  # no graceful shutdown: what got a 201 must already be on disk
        emulator.start()
        client = raw(emulator)
        for user in ids:
            assert client.issue(user, V, {"scopes": ["voip"]}).status == 200
        assert emulator.admin("GET", "stats")["identities"] == 80


def test_sigterm_and_sigint_exit_cleanly():
    for signum in (signal.SIGTERM, signal.SIGINT):
        with running_emulator() as emulator:
            emulator.process.send_signal(signum)
            assert emulator.process.wait(10) == 0
            assert "Traceback" not in emulator.stderr_text()


def test_exactly_one_stdout_line_and_no_secrets_in_logs(tmp_path):
    with running_emulator(args=["--access-log"]) as emulator:
        client = raw(emulator)
        token = client.create(V, {"createTokenWithScopes": ["chat"]}).json["accessToken"]["token"]
        client.create(V, key="AAAA")
        emulator.process.send_signal(signal.SIGTERM)
        assert emulator.process.wait(10) == 0
        # The connection string was the only line: nothing else ever reached stdout.
        assert emulator.process.stdout.read() == b""
        logs = emulator.stderr_text()
        assert emulator.access_key not in logs and token not in logs


def test_tls(tmp_path):
    with running_emulator(tls=True) as emulator:
        assert emulator.endpoint.startswith("https://127.0.0.1:")
        assert emulator.ca_cert and os.path.exists(emulator.ca_cert)
        client = raw(emulator)
        assert client.create(V).status == 201
        assert emulator.admin("GET", "health") == {"status": "ok"}


def test_explicit_key_and_resource_id():
    key = "c2VjcmV0LWtleS1mb3ItdGVzdHM="
    resource = "11111111-2222-3333-4444-555555555555"
    with running_emulator(args=["--access-key", key, "--resource-id", resource]) as emulator:
        assert emulator.access_key == key
        user = raw(emulator).new_user(V)
        assert user.startswith(f"8:acs:{resource}_")


def test_bad_cli_arguments_fail_fast():
    import subprocess
    import sys

    for args in (["--access-key", "not base64!"], ["--resource-id", "nope"], ["--token-ttl-minutes", "10"],
                 ["--client-timeout", "0"], ["--client-timeout", "soon"]):
        result = subprocess.run([sys.executable, "-m", "acs_identity_emulator", *args],
                                check=False, capture_output=True, timeout=30)
        assert result.returncode == 2 and result.stdout == b""
