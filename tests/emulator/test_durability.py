"""SIGKILL under a load of concurrent writes loses nothing that was acknowledged.

Each round runs threads that create identities (plain, with a token, with a custom id) and
revoke tokens, kills the emulator mid-load, restarts it on the same SQLite file and checks every
acknowledged write, then inspects the database for half-written rows.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from typing import Dict, List

import pytest

from acs_identity_emulator.testing import EmulatorProcess

from .hmac_client import RawClient

V = "2023-10-01"
PREVIEW = "2025-03-02-preview"
KILLS = 3
WRITERS = 6
ACKS_BEFORE_KILL = 60


class Ledger:
    """What the server acknowledged, across rounds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.identities: Dict[str, str] = {}  # id -> custom id ("" when none)
        self.revoked_tokens: List[str] = []  # tokens whose identity's revoke got a 204
        self.round_acks = 0

    def add_identity(self, identity_id: str, custom_id: str) -> None:
        with self.lock:
            self.identities[identity_id] = custom_id
            self.round_acks += 1


def writer(client: RawClient, ledger: Ledger, stop: threading.Event, index: int) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        try:
            kind = n % 4
            if kind == 0:
                custom = f"user-{index}-{n}-{uuid.uuid4().hex[:8]}"
                reply = client.create(PREVIEW, {"customId": custom})
                if reply.status == 201:
                    ledger.add_identity(reply.json["identity"]["id"], custom)
            elif kind == 1:
                reply = client.create(V, {"createTokenWithScopes": ["chat"]})
                if reply.status != 201:
                    continue
                user, token = reply.json["identity"]["id"], reply.json["accessToken"]["token"]
                ledger.add_identity(user, "")
                if client.revoke(user, V).status == 204:
                    with ledger.lock:
                        ledger.revoked_tokens.append(token)
            else:
                reply = client.create(V)
                if reply.status == 201:
                    ledger.add_identity(reply.json["identity"]["id"], "")
        except OSError:
            # The kill cuts requests off mid-flight; those were never acknowledged.
            time.sleep(0.01)


def verify(emulator: EmulatorProcess, ledger: Ledger) -> int:
    """Checks every acknowledged write against the restarted emulator; returns identities lost."""
    client = RawClient(emulator.endpoint, emulator.access_key)
    lost = 0
    for identity_id, custom_id in ledger.identities.items():
        reply = client.issue(identity_id, V, {"scopes": ["voip"]})
        if reply.status != 200:
            lost += 1
            continue
        assert emulator.token_status(reply.json["token"])["valid"] is True
        if custom_id:
            again = client.create(PREVIEW, {"customId": custom_id})
            assert again.status == 201 and again.json["identity"]["id"] == identity_id
            assert client.get(identity_id, PREVIEW).json["customId"] == custom_id
    for token in ledger.revoked_tokens:
        assert emulator.token_status(token)["reason"] == "revoked"
    return lost


def assert_no_half_written_rows(path: str, resource_id: str) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        id_shape = re.compile(rf"^8:acs:{re.escape(resource_id)}_[0-9a-f-]{{36}}$")
        rows = db.execute("SELECT id, custom_id, created_at, deleted, revision FROM identities").fetchall()
        assert rows
        for identity_id, custom_id, created_at, deleted, revision in rows:
            assert id_shape.match(identity_id), identity_id
            assert isinstance(created_at, float) and created_at > 0
            assert deleted in (0, 1) and isinstance(revision, int) and revision >= 0
            assert custom_id is None or (custom_id and not deleted)
        duplicates = db.execute(
            "SELECT custom_id FROM identities WHERE custom_id IS NOT NULL GROUP BY custom_id HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == []
    finally:
        db.close()


@pytest.mark.slow
def test_sigkill_under_concurrent_creates_loses_nothing(tmp_path):
    data = str(tmp_path / "identity.db")
    emulator = EmulatorProcess(data=data).start()
    ledger = Ledger()
    kills = lost = 0
    try:
        for _ in range(KILLS):
            client = RawClient(emulator.endpoint, emulator.access_key)
            stop = threading.Event()
            ledger.round_acks = 0
            threads = [threading.Thread(target=writer, args=(client, ledger, stop, i), daemon=True)
                       for i in range(WRITERS)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while ledger.round_acks < ACKS_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.005)
            assert ledger.round_acks >= ACKS_BEFORE_KILL, emulator.stderr_text()[-2000:]
            emulator.kill()  # writers are mid-request: SIGKILL, no flush, no cleanup
            kills += 1
            stop.set()
            for thread in threads:
                thread.join(30)
            emulator.start()
            lost += verify(emulator, ledger)
        assert emulator.admin("GET", "stats")["identities"] >= len(ledger.identities)
        emulator.kill()  # inspect the file as a crash leaves it
        assert_no_half_written_rows(data, resource_id=next(iter(ledger.identities))[6:42])
    finally:
        emulator.close()
    print(f"\ndurability: {kills} kills survived under {WRITERS} concurrent writers; "
          f"{len(ledger.identities)} acknowledged identities, {len(ledger.revoked_tokens)} acknowledged revokes; "
          f"identities lost: {lost}")
    assert lost == 0
