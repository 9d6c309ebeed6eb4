"""SQLite storage for identities.

Every change a client is told about (create, revoke, delete) is committed before the handler
returns, so an acknowledged write survives a crash. The one exception is ``lastTokenIssuedAt``:
it changes on every token issue, the hottest path, so it is kept in memory and written in
batches (at most a second behind, and at shutdown).
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Optional, Set, Tuple

from .entra_store import EntraAssignmentStore

log = logging.getLogger("acs_identity_emulator")

# Identities kept in memory; beyond this the least recently used ones are dropped (and read
# again from the database when needed), except those with an unflushed lastTokenIssuedAt.
DEFAULT_CACHE_LIMIT = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
    id TEXT PRIMARY KEY,
    custom_id TEXT UNIQUE,
    created_at REAL NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 0,
    last_token_issued_at REAL
);
"""


@dataclass
class Identity:
    id: str
    custom_id: Optional[str]
    deleted: bool
    # Bumped by every revoke and by delete; a token is valid only for the revision it carries.
    revision: int
    last_token_issued_at: Optional[float]


class Store:
    def __init__(self, path: Optional[str], *, busy_timeout: float = 5.0,
                 cache_limit: int = DEFAULT_CACHE_LIMIT) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._db = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL makes each WAL commit durable before COMMIT returns.
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.entra = EntraAssignmentStore(self._db)
        self._cache: OrderedDict[str, Identity] = OrderedDict()
        self._cache_limit = cache_limit
        self._dirty: Set[str] = set()

    # -- metadata -------------------------------------------------------------------------
    def meta(self, name: str) -> Optional[str]:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    # -- identities -----------------------------------------------------------------------
    def get(self, identity_id: str) -> Optional[Identity]:
        cached = self._cache.get(identity_id)
        if cached is not None:
            self._cache.move_to_end(identity_id)
            return cached
        row = self._db.execute(
            "SELECT id, custom_id, deleted, revision, last_token_issued_at FROM identities WHERE id = ?",
            (identity_id,),
        ).fetchone()
        if row is None:
            return None
        identity = Identity(row[0], row[1], bool(row[2]), row[3], row[4])
        self._remember(identity)
        return identity

    def find_by_custom_id(self, custom_id: str) -> Optional[Identity]:
        row = self._db.execute("SELECT id FROM identities WHERE custom_id = ?", (custom_id,)).fetchone()
        return self.get(row[0]) if row else None

    def create(self, identity_id: str, custom_id: Optional[str]) -> Tuple[Identity, bool]:
        """The identity for ``custom_id`` if one exists (and False), else a new one (and True)."""
        if custom_id is not None:
            existing = self.find_by_custom_id(custom_id)
            if existing is not None:
                return existing, False
        self._db.execute(
            "INSERT INTO identities (id, custom_id, created_at) VALUES (?, ?, ?)",
            (identity_id, custom_id, time.time()),
        )
        identity = Identity(identity_id, custom_id, False, 0, None)
        self._remember(identity)
        return identity, True

    def _remember(self, identity: Identity) -> None:
        self._cache[identity.id] = identity
        excess = len(self._cache) - self._cache_limit
        if excess <= 0:
            return
        # A dirty entry holds the only copy of its lastTokenIssuedAt until the next flush.
        victims = []
        for identity_id in self._cache:
            if identity_id not in self._dirty:
                victims.append(identity_id)
                if len(victims) == excess:
                    break
        for identity_id in victims:
            del self._cache[identity_id]

    def revoke(self, identity: Identity) -> None:
        self._db.execute("UPDATE identities SET revision = revision + 1 WHERE id = ?", (identity.id,))
        identity.revision += 1

    def delete(self, identity: Identity) -> None:
        # A tombstone, so the validity endpoint can say "deleted"; the custom id is released so
        # a later create with it makes a fresh identity.
        self._db.execute(
            "UPDATE identities SET deleted = 1, custom_id = NULL, revision = revision + 1 WHERE id = ?",
            (identity.id,),
        )
        identity.deleted = True
        identity.custom_id = None
        identity.revision += 1
        self._dirty.discard(identity.id)

    def note_token_issued(self, identity: Identity, when: float) -> None:
        identity.last_token_issued_at = when
        self._dirty.add(identity.id)
        # The flush reads the value from the cache: this object must be the cached one.
        self._cache[identity.id] = identity
        self._cache.move_to_end(identity.id)

    def flush(self, lock_wait: Optional[float] = None) -> None:
        """Write the batched lastTokenIssuedAt values. ``lock_wait``: seconds to wait for a write
        lock another connection holds (default: the busy timeout); on failure the values are kept
        for the next flush."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        rows = []
        for identity_id in dirty:
            identity = self._cache.get(identity_id)
            if identity is not None:
                rows.append((identity.last_token_issued_at, identity_id))
        try:
            if lock_wait is not None:
                self._set_busy_timeout(lock_wait)
            self._db.execute("BEGIN")
            self._db.executemany("UPDATE identities SET last_token_issued_at = ? WHERE id = ?", rows)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            # Left open, the transaction would swallow every later autocommit write (create,
            # revoke, delete) that the client is told is committed.
            self._rollback()
            self._dirty |= dirty
            log.warning("could not write lastTokenIssuedAt for %d identities (will retry): %s", len(rows), exc)
        finally:
            if lock_wait is not None:
                self._set_busy_timeout(self._busy_timeout)

    def _set_busy_timeout(self, seconds: float) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("rollback failed: %s", exc)

    def stats(self) -> Dict[str, int]:
        live, deleted = self._db.execute(
            "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted = 1), 0) FROM identities"
        ).fetchone()
        return {"identities": live, "deletedIdentities": deleted, "cachedIdentities": len(self._cache)}

    def close(self) -> None:
        self.flush()
        self._db.close()
