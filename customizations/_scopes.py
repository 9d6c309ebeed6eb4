"""Checking what the caller asks a token for: scopes and lifetime, per API version."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._api_versions import FEATURE_SINCE, ApiVersion, require_feature
from ._enums import CaseInsensitiveStrEnum

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


def wire_scopes(scopes: Iterable[ScopeLike], api_version: ApiVersion) -> list[str]:
    """Validate ``scopes`` for ``api_version`` and return their wire values, in order, without repeats."""
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
            raise ValueError(f"unknown scope {scope!r}; known scopes are {_KNOWN}") from None
        if "scope:" + member.value in FEATURE_SINCE:  # scopes newer than 2021-03-07
            require_feature(api_version, "scope:" + member.value)
        if member.value not in result:
            result.append(member.value)
    if not result:
        raise ValueError(f"at least one scope is needed, for example ['chat']; known scopes are {_KNOWN}")
    return result


def expires_in_minutes(token_expires_in: Optional[timedelta], api_version: ApiVersion) -> Optional[int]:
    """Turn ``token_expires_in`` into the service's whole minutes in [60, 1440], or None when not given."""
    if token_expires_in is None:
        return None
    if not isinstance(token_expires_in, timedelta):
        raise TypeError(
            f"token_expires_in must be a datetime.timedelta such as timedelta(hours=1), "
            f"not {type(token_expires_in).__name__}"
        )
    require_feature(api_version, "token_expires_in")
    minutes, remainder = divmod(token_expires_in, timedelta(minutes=1))
    if remainder:
        raise ValueError(f"token_expires_in must be a whole number of minutes; got {token_expires_in}")
    if not MIN_TOKEN_MINUTES <= minutes <= MAX_TOKEN_MINUTES:
        raise ValueError(
            f"token_expires_in must be between {MIN_TOKEN_MINUTES} and {MAX_TOKEN_MINUTES} minutes "
            f"(1 to 24 hours); got {minutes} minutes"
        )
    return minutes
