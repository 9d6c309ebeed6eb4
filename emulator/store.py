"""SQLite storage for identities, Teams Phone extensibility assignments and repeatable creates (the Entra ID
assignments are in ``entra_store.py``, on the same connection).

Every change a client is told about (create, revoke, delete, an assignment written or deleted) is
committed before the handler returns, so an acknowledged write survives a crash. The one exception
is ``lastTokenIssuedAt``: it changes on every token issue, the hottest path, so it is kept in memory
and written in batches (at most a second behind, and at shutdown).
"""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Set, Tuple

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
CREATE TABLE IF NOT EXISTS teams_extension_assignments (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    client_ids TEXT,
    generation TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object_id)
);
CREATE TABLE IF NOT EXISTS repeatable_requests (
    request_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    first_sent REAL NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL
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


@dataclass
class Assignment:
    """A Teams Phone extensibility assignment. ``generation`` is new for every created assignment (a
    replace keeps it): tokens carry it, so a deleted assignment's tokens stay invalid even after the
    principal is assigned again."""

    tenant_id: str
    object_id: str
    principal_type: str
    client_ids: Optional[List[str]]
    generation: str


@dataclass
class RepeatableResult:
    """The answer a repeatable request got, kept to answer its repeats."""

    fingerprint: str
    first_sent: float
    status: int
    body: str


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
        self.entra = EntraAssignmentStore(self._db, self.transaction)
        self._cache: OrderedDict[str, Identity] = OrderedDict()
        self._cache_limit = cache_limit
        self._dirty: Set[str] = set()
        # Identities created inside the open transaction(): forgotten from the cache if it rolls back.
        self._uncommitted: Optional[List[str]] = None

    # -- metadata -------------------------------------------------------------------------
    def meta(self, name: str) -> Optional[str]:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits together, or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        self._uncommitted = []
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            for identity_id in self._uncommitted:
                self._cache.pop(identity_id, None)
                self._dirty.discard(identity_id)
            raise
        finally:
            self._uncommitted = None

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
        if self._uncommitted is not None:
            self._uncommitted.append(identity_id)
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

    def reset(self) -> None:
        """Forget every identity (tombstones, custom ids), assignment and repeatable result, in one transaction."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM identities")
            self._db.execute("DELETE FROM teams_extension_assignments")
            self.entra.clear()
            self._db.execute("DELETE FROM repeatable_requests")
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self._rollback()
            raise
        self._cache.clear()
        self._dirty.clear()

    # -- Teams Phone extensibility assignments ---------------------------------------------
    def get_assignment(self, tenant_id: str, object_id: str) -> Optional[Assignment]:
        row = self._db.execute(
            "SELECT principal_type, client_ids, generation FROM teams_extension_assignments "
            "WHERE tenant_id = ? AND object_id = ?", (tenant_id, object_id)).fetchone()
        if row is None:
            return None
        return Assignment(tenant_id, object_id, row[0], None if row[1] is None else json.loads(row[1]), row[2])

    def put_assignment(self, tenant_id: str, object_id: str, principal_type: str,
                       client_ids: Optional[List[str]]) -> Tuple[Assignment, bool]:
        """Create or replace; True when created. One statement, so a crash leaves the old row or the new one."""
        existing = self.get_assignment(tenant_id, object_id)
        generation = existing.generation if existing else secrets.token_hex(8)
        self._db.execute(
            "INSERT OR REPLACE INTO teams_extension_assignments "
            "(tenant_id, object_id, principal_type, client_ids, generation) VALUES (?, ?, ?, ?, ?)",
            (tenant_id, object_id, principal_type, None if client_ids is None else json.dumps(client_ids), generation))
        return Assignment(tenant_id, object_id, principal_type, client_ids, generation), existing is None

    def delete_assignment(self, tenant_id: str, object_id: str) -> bool:
        cursor = self._db.execute("DELETE FROM teams_extension_assignments WHERE tenant_id = ? AND object_id = ?",
                                  (tenant_id, object_id))
        return cursor.rowcount > 0

    # -- repeatable requests ---------------------------------------------------------------
    def repeatable_result(self, request_id: str) -> Optional[RepeatableResult]:
        row = self._db.execute("SELECT fingerprint, first_sent, status, body FROM repeatable_requests "
                               "WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else RepeatableResult(*row)

    def remember_repeatable(self, request_id: str, result: RepeatableResult, forget_before: float) -> None:
        """Keep ``result`` for repeats of ``request_id``; results first sent before ``forget_before`` go."""
        self._db.execute("DELETE FROM repeatable_requests WHERE first_sent < ?", (forget_before,))
        self._db.execute("INSERT OR REPLACE INTO repeatable_requests (request_id, fingerprint, first_sent, status, "
                         "body) VALUES (?, ?, ?, ?, ?)",
                         (request_id, result.fingerprint, result.first_sent, result.status, result.body))

    def stats(self) -> Dict[str, int]:
        live, deleted = self._db.execute(
            "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted = 1), 0) FROM identities"
        ).fetchone()
        assignments = self._db.execute("SELECT COUNT(*) FROM teams_extension_assignments").fetchone()[0]
        return {"identities": live, "deletedIdentities": deleted, "cachedIdentities": len(self._cache),
                "teamsExtensionAssignments": assignments, "entraAssignments": self.entra.count()}

    def close(self) -> None:
        self.flush()
        self._db.close()
