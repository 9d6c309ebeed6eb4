"""The Identity API versions this package speaks, and what each one has.

All of it comes from the version table (``_version_table.py``, derived from ``swagger/`` by
``make generate``): which operations a version has, which request fields and headers, their ranges
and lengths, the scope values. The generated layer holds every version's operations and sends
whichever ``api-version`` the client was built with, so what a version lacks is refused here,
before any request, naming the versions that have it.

Versions the table does not list are accepted when well formed (``YYYY-MM-DD`` or
``YYYY-MM-DD-preview``) and sent as given: such a version gets what the newest listed version at or
before its date has, where a GA version only inherits from GA versions (a preview's additions are
not promised to the next GA: 2025-06-30 dropped ``customId``), and a preview from any version.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, Dict, List, NoReturn, Optional, Union

from ._version import DEFAULT_API_VERSION as _DEFAULT
from ._version_table import API_VERSIONS, VERSIONS, ApiVersion

__all__ = ["DEFAULT_API_VERSION", "ApiVersion", "VersionFeatures", "parse_api_version"]

#: What a client speaks when ``api_version`` is not given.
DEFAULT_API_VERSION = ApiVersion(_DEFAULT)

_WELL_FORMED = re.compile(r"(\d{4})-(\d{2})-(\d{2})(-preview)?")


def _order(version: str) -> tuple:
    """Date order; on the same date a preview comes before its GA (as in the version table)."""
    return version[:10], 0 if version.endswith("-preview") else 1


class VersionFeatures:
    """What one api-version has, read from the version table.

    ``sent`` is the api-version string the client sends; ``known`` the table's version whose features
    apply (the same, unless ``sent`` is a version this package does not list).
    """

    __slots__ = ("_entry", "known", "sent")

    def __init__(self, sent: str, known: str) -> None:
        self.sent = sent
        self.known = known
        self._entry = VERSIONS[known]

    @property
    def public(self) -> Union[ApiVersion, str]:
        """What ``client.api_version`` shows: the enum member, or the string of an unlisted version."""
        return ApiVersion(self.sent) if self.sent == self.known else self.sent

    def has_operation(self, operation: str) -> bool:
        return operation in self._entry["operations"]

    def body_field(self, operation: str, field: str) -> Optional[Dict[str, Any]]:
        """The table's description of ``field`` in ``operation``'s request body (ranges, lengths), or None."""
        op = self._entry["operations"].get(operation)
        body = op["body"] if op else None
        return (body.get("fields") or {}).get(field) if body else None

    def header(self, operation: str, name: str) -> Optional[Dict[str, Any]]:
        op = self._entry["operations"].get(operation)
        return op["headers"].get(name) if op else None

    def enum(self, name: str) -> tuple:
        return self._entry["enums"].get(name, ())

    def require_operation(self, operation: str, what: str) -> None:
        """Raise ValueError before any request when this version lacks ``operation``."""
        if not self.has_operation(operation):
            self._refuse(what, lambda features: features.has_operation(operation))

    def require_field(self, operation: str, field: str, what: str) -> Dict[str, Any]:
        """The table's description of a request field, or ValueError when this version lacks it."""
        found = self.body_field(operation, field)
        if found is None:
            self._refuse(what, lambda features: features.body_field(operation, field) is not None)
        return found  # type: ignore[return-value]

    def require_enum_value(self, name: str, value: str, what: str) -> None:
        if value not in self.enum(name):
            self._refuse(what, lambda features: value in features.enum(name))

    def _refuse(self, what: str, has_it: Callable[[VersionFeatures], bool]) -> NoReturn:
        having = [v for v in API_VERSIONS if has_it(VersionFeatures(v, v))]
        raise ValueError(f"{what} needs api_version {describe_versions(having)}; this client speaks "
                         f"{self._speaks()} (pass api_version={_suggestion(having)} to the client)")

    def _speaks(self) -> str:
        if self.sent == self.known:
            return self.sent
        return f"{self.sent}, which this package treats as {self.known}"

    def __repr__(self) -> str:
        return f"VersionFeatures(sent={self.sent!r}, known={self.known!r})"


def describe_versions(versions: List[str]) -> str:
    """'2022-10-01 or later' when every version from the first on has it, else the list."""
    if not versions:
        return "a version this package does not know"
    first = API_VERSIONS.index(versions[0])
    if list(API_VERSIONS[first:]) == versions:
        return f"{versions[0]} or later"
    return versions[0] if len(versions) == 1 else ", ".join(versions[:-1]) + " or " + versions[-1]


def _suggestion(having: List[str]) -> str:
    """The version to name in a message: the default if it has the feature, else the newest GA one that does."""
    if DEFAULT_API_VERSION.value in having:
        choice = DEFAULT_API_VERSION.value
    else:
        ga = [v for v in having if not VERSIONS[v]["preview"]]
        choice = (ga or having)[-1]
    return f"ApiVersion.{ApiVersion(choice).name}"


def parse_api_version(value: object) -> VersionFeatures:
    """What ``value`` (an :class:`ApiVersion`, or a version string) may do; ValueError for anything else."""
    if isinstance(value, ApiVersion):
        return VersionFeatures(value.value, value.value)
    if not isinstance(value, str):
        raise ValueError(f"api_version must be an ApiVersion or a string such as {DEFAULT_API_VERSION.value!r}, "
                         f"not {type(value).__name__}")
    text = value.strip().lower()
    if text in VERSIONS:
        return VersionFeatures(text, text)
    match = _WELL_FORMED.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(
            f"api_version {value!r} is not an Identity API version; pass an ApiVersion member or a string "
            f"'YYYY-MM-DD' or 'YYYY-MM-DD-preview' such as {DEFAULT_API_VERSION.value!r} "
            f"(this package knows {', '.join(API_VERSIONS)})"
        ) from None
    preview = match[4] is not None
    earlier = [v for v in API_VERSIONS if _order(v) <= _order(text) and (preview or not VERSIONS[v]["preview"])]
    if not earlier:
        raise ValueError(f"api_version {value!r} is older than every Identity API version "
                         f"(the first is {API_VERSIONS[0]})")
    return VersionFeatures(text, earlier[-1])

