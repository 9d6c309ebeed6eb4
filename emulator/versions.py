"""The api-versions the emulator serves and what each one allows, read from the version table.

``_version_table.py`` is derived from ``swagger/`` by ``make generate``: a new service version is a
new swagger folder, not an edit here. The handlers only ask these objects.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote

from ._version_table import API_VERSIONS
from ._version_table import VERSIONS as _TABLE

SCOPE_ENUM = "CommunicationIdentityTokenScope"


class ApiVersion:
    """One served api-version: its operations, their body fields and headers, its enums."""

    __slots__ = ("_operations", "enums", "name", "preview", "scopes")

    def __init__(self, name: str, entry: Dict[str, Any]) -> None:
        self.name = name
        self.preview = entry["preview"]
        self._operations = entry["operations"]
        self.enums = entry["enums"]
        self.scopes = frozenset(self.enums.get(SCOPE_ENUM, ()))

    def has(self, operation: str) -> bool:
        return operation in self._operations

    def field(self, operation: str, name: str) -> Optional[Dict[str, Any]]:
        """The swagger's description of a request body field (type, range, length), or None."""
        body = self._operations[operation]["body"] if self.has(operation) else None
        return (body.get("fields") or {}).get(name) if body else None

    def body_fields(self, operation: str) -> Dict[str, Any]:
        body = self._operations[operation]["body"] if self.has(operation) else None
        return (body.get("fields") or {}) if body else {}

    def header(self, operation: str, name: str) -> Optional[Dict[str, Any]]:
        return self._operations[operation]["headers"].get(name) if self.has(operation) else None

    def security(self, operation: str) -> tuple:
        """The swagger's security requirement names for the operation (``azure_auth``: the resource's own)."""
        return self._operations[operation]["security"]

    def __repr__(self) -> str:
        return f"ApiVersion({self.name!r})"


VERSIONS: Dict[str, ApiVersion] = {name: ApiVersion(name, _TABLE[name]) for name in API_VERSIONS}
SUPPORTED_VERSIONS_HEADER = ", ".join(VERSIONS)


def versions_where(predicate) -> List[str]:
    return [name for name, version in VERSIONS.items() if predicate(version)]


def describe(names: List[str]) -> str:
    """'2022-10-01 or later' when every version from the first on qualifies, else the list."""
    if not names:
        return "no served api-version"
    if list(API_VERSIONS[API_VERSIONS.index(names[0]):]) == names:
        return f"{names[0]} or later"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def versions_with_operation(operation: str) -> str:
    return describe(versions_where(lambda v: v.has(operation)))


def versions_with_field(operation: str, name: str) -> str:
    return describe(versions_where(lambda v: v.field(operation, name) is not None))


def versions_with_scope(scope: str) -> Optional[str]:
    names = versions_where(lambda v: scope in v.scopes)
    return describe(names) if names else None


# -- routing ---------------------------------------------------------------------------------------
# Every operation of every version, by path template: (segments, operation name, method). Templates with
# fewer parameters come first, so a literal segment wins over a parameter.
ROUTES: List[Tuple[Tuple[str, ...], str, str]] = sorted(
    {(tuple(op["path"].split("/")[1:]), name, op["method"])
     for entry in _TABLE.values() for name, op in entry["operations"].items()},
    key=lambda route: (sum(s.startswith("{") for s in route[0]), route[0], route[2]),
)


def route(path: str) -> Tuple[Optional[Dict[str, str]], Dict[str, str]]:
    """({method: operation name}, {path parameter: decoded value}) for a raw path; (None, {}) when
    nothing lives there.

    The raw path is split before percent-decoding, so an id containing an encoded '/' stays one
    segment and cannot address another resource. Literal segments match in any case.
    """
    segments = path.split("/")
    if len(segments) < 2 or segments[0] != "":
        return None, {}
    parts = [unquote(segment) for segment in segments[1:]]
    for template, _, _ in ROUTES:
        if len(template) != len(parts):
            continue
        values: Dict[str, str] = {}
        for expected, actual in zip(template, parts):
            if expected.startswith("{"):
                if not actual:
                    break
                values[expected[1:-1]] = actual
            elif expected.lower() != actual.lower():
                break
        else:
            methods = {method: name for segs, name, method in ROUTES if segs == template}
            return methods, values
    return None, {}
