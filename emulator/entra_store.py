"""SQLite storage of the Entra ID assignments (2025-03-02-preview), beside the identities.

An assignment is keyed by its principal's object id: a user, a group, or a tenant (whose object id
is its tenant id). Every write is committed before the handler answers, and a bulk update commits
all its changes in one transaction or none of them. ``generation`` is new for every created
assignment and kept by a replace: tokens exchanged under an assignment carry it, so deleting the
assignment revokes them, even if the principal is assigned again later.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

#: Private claim of exchanged Entra ID user tokens: ``[[objectId, generation], ...]``, the assignments
#: that granted the token. It stays valid while one of them exists.
GRANTS_CLAIM = "acsEmulatorEntraGrants"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entra_assignments (
    object_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    generation TEXT NOT NULL
) WITHOUT ROWID;
"""
_COLUMNS = "object_id, tenant_id, principal_type, client_ids, generation"
# Object ids per IN (...) query: well below SQLite's smallest limit on bound parameters (999).
_CHUNK = 500


@dataclass(frozen=True)
class EntraAssignment:
    object_id: str
    tenant_id: str
    principal_type: str
    client_ids: Tuple[str, ...]
    generation: str

    def document(self) -> Dict[str, Any]:
        """The assignment as the service returns it."""
        return {"objectId": self.object_id, "tenantId": self.tenant_id, "principalType": self.principal_type,
                "clientIds": list(self.client_ids)}


#: What a write sets: (tenant id, principal type, client ids); None in a bulk update deletes.
Grant = Tuple[str, str, Sequence[str]]


def _row(row: Sequence[Any]) -> EntraAssignment:
    return EntraAssignment(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4])


class EntraAssignmentStore:
    """The ``entra_assignments`` table of the emulator's database (the connection and its
    ``transaction`` are the Store's)."""

    def __init__(self, db: sqlite3.Connection, transaction: Callable[[], ContextManager[None]]) -> None:
        self._db = db
        self._transaction = transaction
        self._db.executescript(_SCHEMA)

    def get(self, object_id: str) -> Optional[EntraAssignment]:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM entra_assignments WHERE object_id = ?",
                               (object_id,)).fetchone()
        return None if row is None else _row(row)

    def put(self, object_id: str, grant: Grant) -> Tuple[EntraAssignment, bool]:
        """Create or replace; True when created. One statement, so a crash leaves the old row or the new one."""
        existing = self.get(object_id)
        tenant_id, principal_type, client_ids = grant
        assignment = EntraAssignment(object_id, tenant_id, principal_type, tuple(client_ids),
                                     existing.generation if existing else secrets.token_hex(8))
        self._db.execute(
            f"INSERT OR REPLACE INTO entra_assignments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (object_id, tenant_id, principal_type, json.dumps(list(client_ids)), assignment.generation))
        return assignment, existing is None

    def delete(self, object_id: str) -> bool:
        cursor = self._db.execute("DELETE FROM entra_assignments WHERE object_id = ?", (object_id,))
        return cursor.rowcount > 0

    def update(self, changes: Mapping[str, Optional[Grant]]) -> List[EntraAssignment]:
        """Apply every change (a grant creates or replaces, None deletes) in one transaction; returns the
        assignments written, in object id order."""
        written = []
        with self._transaction():
            for object_id in sorted(changes):
                grant = changes[object_id]
                if grant is None:
                    self.delete(object_id)
                else:
                    written.append(self.put(object_id, grant)[0])
        return written

    def clear(self) -> None:
        """Delete every assignment (the Store's reset, inside its transaction)."""
        self._db.execute("DELETE FROM entra_assignments")

    def page(self, after: Optional[str], limit: int) -> Tuple[List[EntraAssignment], bool]:
        """Up to ``limit`` assignments whose object id sorts after ``after`` (keyset paging), and whether
        more follow."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM entra_assignments WHERE object_id > ? ORDER BY object_id LIMIT ?",
            (after or "", limit + 1)).fetchall()
        return [_row(row) for row in rows[:limit]], len(rows) > limit

    def covering(self, tenant_id: str, object_id: str, groups: Iterable[str]) -> List[EntraAssignment]:
        """The assignments that cover user ``object_id`` of ``tenant_id``, a member of ``groups``: its own,
        its groups' (of the same tenant) and its tenant's."""
        group_ids = set(groups)
        wanted = sorted({object_id, tenant_id} | group_ids)
        found = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            found += [_row(row) for row in self._db.execute(
                f"SELECT {_COLUMNS} FROM entra_assignments WHERE object_id IN ({', '.join('?' * len(chunk))})",
                chunk)]

        def covers(assignment: EntraAssignment) -> bool:
            if assignment.principal_type == "tenant":
                return assignment.object_id == tenant_id
            if assignment.tenant_id != tenant_id:
                return False
            if assignment.principal_type == "user":
                return assignment.object_id == object_id
            return assignment.principal_type == "group" and assignment.object_id in group_ids

        return [assignment for assignment in found if covers(assignment)]

    def holds(self, grants: Any) -> bool:
        """Whether one of a token's grants (``[[objectId, generation], ...]``) still exists."""
        if not isinstance(grants, list):
            return False
        for grant in grants:
            if isinstance(grant, list) and len(grant) == 2 and all(isinstance(part, str) for part in grant):
                assignment = self.get(grant[0])
                if assignment is not None and assignment.generation == grant[1]:
                    return True
        return False

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM entra_assignments").fetchone()[0]
