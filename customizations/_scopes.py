"""Checking what the caller asks a token for: scopes and lifetime, against the api-version's table entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._api_versions import VersionFeatures
from ._enums import CaseInsensitiveStrEnum
from ._errors import validation_error
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


def wire_scopes(scopes: Iterable[ScopeLike], version: VersionFeatures, *, field: str = "scopes") -> list[str]:
    """Validate ``scopes`` for ``version`` and return their wire values, in order, without repeats.

    An unknown scope, and no scope at all where a token is asked for (``field="scopes"``), are what the
    service answers 400 ``ValidationError`` to: the error raised is that and a ``ValueError``.
    """
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
            raise validation_error(f"The scope {scope!r} is not a valid scope; known scopes are {_KNOWN}.",
                                   target=field)
        version.require_enum_value(SCOPE_ENUM, value, f"scope {value!r}")
        if value not in result:
            result.append(value)
    if not result:
        message = f"at least one scope is needed, for example ['chat']; known scopes are {_KNOWN}"
        if field == "scopes":  # the service refuses an empty list here; on create it would issue no token
            raise validation_error(f"The {field} field must contain at least one scope: {message}.", target=field)
        raise ValueError(message)
    return result


def expires_in_minutes(token_expires_in: Optional[timedelta], version: VersionFeatures,
                       operation: str) -> Optional[int]:
    """The ``expiresInMinutes`` to send for ``token_expires_in``, or None when not given.

    As in the official package, a sub-minute part is dropped (truncated toward zero:
    ``timedelta(minutes=90, seconds=30)`` is 90 minutes). Outside the version's range (the swagger's
    ``minimum``/``maximum``, 60..1440) the error is the service's 400 ``ValidationError`` (target
    ``ExpiresInMinutes``) and a ``ValueError``, raised before anything is sent.
    """
    if token_expires_in is None:
        return None
    if not isinstance(token_expires_in, timedelta):
        raise TypeError(
            f"token_expires_in must be a datetime.timedelta such as timedelta(hours=1), "
            f"not {type(token_expires_in).__name__}"
        )
    field = version.require_field(operation, "expiresInMinutes", "token_expires_in")
    microseconds = token_expires_in // timedelta(microseconds=1)
    minutes = abs(microseconds) // 60_000_000
    if microseconds < 0:
        minutes = -minutes
    low, high = field.get("minimum", 1), field.get("maximum", minutes)
    if not low <= minutes <= high:
        raise validation_error(
            f"ExpiresInMinutes value {minutes} is invalid. Value must be within the [{low}, {high}] interval. "
            f"(token_expires_in={token_expires_in!s} is {minutes} whole minutes; pass a timedelta between "
            f"{low / 60:g} and {high / 60:g} hours.)",
            target="ExpiresInMinutes",
        )
    return minutes
