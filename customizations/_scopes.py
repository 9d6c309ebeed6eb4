"""Checking what the caller asks a token for: scopes and lifetime, against the api-version's table entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._api_versions import VersionFeatures
from ._enums import CaseInsensitiveStrEnum
from ._version_table import API_VERSIONS, VERSIONS

#: The swagger schema that lists the scope values of each version.
SCOPE_ENUM = "CommunicationIdentityTokenScope"


class CommunicationTokenScope(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an access token lets its holder do. Strings are accepted too, in any case.

    Which scopes an api-version accepts is the version table's (its swagger's scope enum); a scope a
    newer swagger adds is accepted as a string before it gets a member here.
    """

    CHAT = "chat"
    VOIP = "voip"
    CHAT_JOIN = "chat.join"
    CHAT_JOIN_LIMITED = "chat.join.limited"
    VOIP_JOIN = "voip.join"


ScopeLike = Union[CommunicationTokenScope, str]
#: Every scope any version has, by its case-folded spelling.
_ALL_SCOPES = {value.casefold(): value for version in API_VERSIONS for value in VERSIONS[version]["enums"][SCOPE_ENUM]}
_KNOWN = ", ".join(repr(value) for value in _ALL_SCOPES.values())


def wire_scopes(scopes: Iterable[ScopeLike], version: VersionFeatures) -> list[str]:
    """Validate ``scopes`` for ``version`` and return their wire values, in order, without repeats."""
    if isinstance(scopes, str):
        raise TypeError(f"scopes must be a list such as [{scopes!r}], not a single str")
    if isinstance(scopes, bytes) or not isinstance(scopes, Iterable):
        raise TypeError(
            f"scopes must be a list of CommunicationTokenScope members or strings such as ['chat', 'voip'], "
            f"not {type(scopes).__name__}"
        )
    result: list[str] = []
    for scope in scopes:
        if not isinstance(scope, str):
            raise TypeError(f"each scope must be a CommunicationTokenScope or str, not {type(scope).__name__}")
        value = _ALL_SCOPES.get(str(scope).casefold())
        if value is None:
            raise ValueError(f"unknown scope {scope!r}; known scopes are {_KNOWN}")
        version.require_enum_value(SCOPE_ENUM, value, f"scope {value!r}")
        if value not in result:
            result.append(value)
    if not result:
        raise ValueError(f"at least one scope is needed, for example ['chat']; known scopes are {_KNOWN}")
    return result


def expires_in_minutes(token_expires_in: Optional[timedelta], version: VersionFeatures,
                       operation: str) -> Optional[int]:
    """Turn ``token_expires_in`` into the whole minutes the version's ``expiresInMinutes`` takes, or None."""
    if token_expires_in is None:
        return None
    if not isinstance(token_expires_in, timedelta):
        raise TypeError(
            f"token_expires_in must be a datetime.timedelta such as timedelta(hours=1), "
            f"not {type(token_expires_in).__name__}"
        )
    field = version.require_field(operation, "expiresInMinutes", "token_expires_in")
    minutes, remainder = divmod(token_expires_in, timedelta(minutes=1))
    if remainder:
        raise ValueError(f"token_expires_in must be a whole number of minutes; got {token_expires_in}")
    low, high = field.get("minimum", 1), field.get("maximum", minutes)
    if not low <= minutes <= high:
        raise ValueError(f"token_expires_in must be between {low} and {high} minutes "
                         f"({low / 60:g} to {high / 60:g} hours); got {minutes} minutes")
    return minutes
