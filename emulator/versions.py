"""The api-versions the emulator serves and what each one allows.

A new service version is one more entry in ``_TABLE``: the handlers only ask these objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional

BASE_SCOPES = frozenset({"chat", "voip"})
JOIN_SCOPES = BASE_SCOPES | {"chat.join", "chat.join.limited", "voip.join"}


@dataclass(frozen=True)
class ApiVersion:
    name: str
    scopes: FrozenSet[str]
    expires_in_minutes: bool = False
    teams_exchange: bool = False
    custom_id: bool = False
    get_identity: bool = False
    entra_users: bool = False
    # None of the served versions defines Repeatability-Request-ID on create (2023-08-01 did, but
    # it is not served); the flag keeps the decision visible where a version is described.
    repeatability: bool = False


_TABLE = (
    ApiVersion("2021-03-07", BASE_SCOPES),
    ApiVersion("2022-06-01", BASE_SCOPES, teams_exchange=True),
    ApiVersion("2022-10-01", BASE_SCOPES, expires_in_minutes=True, teams_exchange=True),
    ApiVersion("2023-10-01", JOIN_SCOPES, expires_in_minutes=True, teams_exchange=True),
    ApiVersion(
        "2025-03-02-preview", JOIN_SCOPES, expires_in_minutes=True, teams_exchange=True,
        custom_id=True, get_identity=True, entra_users=True,
    ),
)

VERSIONS: Dict[str, ApiVersion] = {v.name: v for v in _TABLE}
SUPPORTED_VERSIONS_HEADER = ", ".join(VERSIONS)


def first_version_with(feature: str) -> Optional[str]:
    """Name of the oldest served version that has ``feature`` (an ApiVersion flag)."""
    for version in _TABLE:
        if getattr(version, feature):
            return version.name
    return None


def first_version_with_scope(scope: str) -> Optional[str]:
    for version in _TABLE:
        if scope in version.scopes:
            return version.name
    return None
