"""Checking what the caller asks a token for: scopes and lifetime, per API version."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._api_versions import FEATURE_SINCE, ApiVersion, require_feature
from ._enums import CaseInsensitiveStrEnum
from ._errors import validation_error

MIN_TOKEN_MINUTES = 60
MAX_TOKEN_MINUTES = 1440


class CommunicationTokenScope(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an access token lets its holder do. Strings are accepted too, in any case."""

    CHAT = "chat"
    VOIP = "voip"
    CHAT_JOIN = "chat.join"
    CHAT_JOIN_LIMITED = "chat.join.limited"
    VOIP_JOIN = "voip.join"


ScopeLike = Union[CommunicationTokenScope, str]
_KNOWN = ", ".join(repr(s.value) for s in CommunicationTokenScope)


def wire_scopes(scopes: Iterable[ScopeLike], api_version: ApiVersion, *, field: str = "scopes") -> list[str]:
    """Validate ``scopes`` for ``api_version`` and return their wire values, in order, without repeats.

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
        try:
            member = CommunicationTokenScope(scope)
        except ValueError:
            raise validation_error(f"The scope {scope!r} is not a valid scope; known scopes are {_KNOWN}.",
                                   target=field) from None
        if "scope:" + member.value in FEATURE_SINCE:  # scopes newer than 2021-03-07
            require_feature(api_version, "scope:" + member.value)
        if member.value not in result:
            result.append(member.value)
    if not result:
        message = f"at least one scope is needed, for example ['chat']; known scopes are {_KNOWN}"
        if field == "scopes":  # the service refuses an empty list here; on create it would issue no token
            raise validation_error(f"The {field} field must contain at least one scope: {message}.", target=field)
        raise ValueError(message)
    return result


def expires_in_minutes(token_expires_in: Optional[timedelta], api_version: ApiVersion) -> Optional[int]:
    """The ``expiresInMinutes`` to send for ``token_expires_in``, or None when not given.

    As in the official package, a sub-minute part is dropped (truncated toward zero:
    ``timedelta(minutes=90, seconds=30)`` is 90 minutes). Outside [60, 1440] minutes the error is the
    service's 400 ``ValidationError`` (target ``ExpiresInMinutes``) and a ``ValueError``, raised
    before anything is sent.
    """
    if token_expires_in is None:
        return None
    if not isinstance(token_expires_in, timedelta):
        raise TypeError(
            f"token_expires_in must be a datetime.timedelta such as timedelta(hours=1), "
            f"not {type(token_expires_in).__name__}"
        )
    require_feature(api_version, "token_expires_in")
    microseconds = token_expires_in // timedelta(microseconds=1)
    minutes = abs(microseconds) // 60_000_000
    if microseconds < 0:
        minutes = -minutes
    if not MIN_TOKEN_MINUTES <= minutes <= MAX_TOKEN_MINUTES:
        raise validation_error(
            f"ExpiresInMinutes value {minutes} is invalid. Value must be within the "
            f"[{MIN_TOKEN_MINUTES}, {MAX_TOKEN_MINUTES}] interval. (token_expires_in={token_expires_in!s} is "
            f"{minutes} whole minutes; pass a timedelta between 1 and 24 hours.)",
            target="ExpiresInMinutes",
        )
    return minutes
