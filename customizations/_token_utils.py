"""Helpers for Communication Services access tokens: unverified JWT decoding and refresh timing.

Nothing here ever puts a token (or any part of one) into a message, repr or log line: tokens are
bearer secrets, and error messages end up in logs and bug reports.

The refresh-timing half is pure (no threads, no event loop, no clock of its own) so the sync and
async credentials share one set of rules and tests can drive it with any clock.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Optional, Tuple, Union

from azure.core.credentials import AccessToken

#: ``get_token`` returns the cached token while it is valid for longer than this.
ON_DEMAND_REFRESH_WINDOW = timedelta(minutes=2)
#: After a refresh, the refresher is not called again before this fraction of the new token's
#: remaining lifetime has passed (unless the token expired), so a refresher that hands out
#: nearly-expired tokens is called a few times per token lifetime instead of in a tight loop.
BACKOFF_FRACTION = 0.5
#: Lower bound of that back-off (capped by the remaining lifetime itself).
BACKOFF_FLOOR = timedelta(seconds=1)

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- JWT decoding


@dataclass(frozen=True, repr=False)
class AccessTokenClaims:
    """What an issued token says about itself; built by :func:`decode_access_token`.

    The token itself is not kept, so printing or logging this object cannot leak it.
    """

    expires_on: datetime
    issued_at: Optional[datetime]
    scopes: Tuple[str, ...]
    user_id: Optional[str]
    resource_id: Optional[str]
    resource_location: Optional[str]
    # Left out of eq/hash (dicts are unhashable) and of repr (bulky).
    claims: Mapping[str, Any] = field(compare=False)

    def __repr__(self) -> str:
        issued = self.issued_at.isoformat() if self.issued_at else None
        return (
            f"AccessTokenClaims(user_id={self.user_id!r}, scopes={self.scopes!r}, "
            f"expires_on={self.expires_on.isoformat()}, issued_at={issued}, "
            f"resource_id={self.resource_id!r}, resource_location={self.resource_location!r})"
        )


def decode_access_token(token: str) -> AccessTokenClaims:
    """Decode a Communication Services access token WITHOUT verifying its signature.

    Meant for logging and debugging (expiry, scopes, user); never use it to make trust decisions.

    :raises TypeError: ``token`` is not a str.
    :raises ValueError: ``token`` is not a well-formed JWT with a numeric ``exp`` claim. The
        message describes the problem and never contains the token.
    """
    claims = decode_jwt_claims(token)
    skype_id = claims.get("skypeid")
    return AccessTokenClaims(
        expires_on=_expiry_from_claims(claims),
        issued_at=_optional_time(claims.get("iat")),
        scopes=_scopes(claims.get("acsScope")),
        user_id=f"8:{skype_id}" if isinstance(skype_id, str) and skype_id else None,
        resource_id=_optional_str(claims.get("resourceId")),
        resource_location=_optional_str(claims.get("resourceLocation")),
        claims=claims,
    )


def expiry_of(token: str) -> datetime:
    """The token's ``exp`` claim as an aware UTC datetime (same errors as :func:`decode_access_token`)."""
    return _expiry_from_claims(decode_jwt_claims(token))


def decode_jwt_claims(token: str, what: str = "access token") -> dict:
    """The claims of a JWT, decoded without verification; errors name ``what`` and never echo the token."""
    if not isinstance(token, str):
        raise TypeError(f"{what} must be a str, not {type(token).__name__}")
    if not token:
        raise ValueError(f"{what} is empty")
    segments = token.split(".")
    if len(segments) != 3:
        raise ValueError(f"{what} is not a JWT: expected 3 dot-separated segments, found {len(segments)}")
    header, payload, signature = segments
    for name, segment in (("header", header), ("payload", payload)):
        if not segment:
            raise ValueError(f"{what} is not a JWT: its {name} segment is empty")
    if not _BASE64URL.fullmatch(signature.rstrip("=")):
        raise ValueError(f"{what} is not a JWT: its signature segment is not base64url")
    _json_object(header, "header", what)
    return _json_object(payload, "payload", what)


def _json_object(segment: str, name: str, what: str) -> dict:
    raw = segment.rstrip("=")
    # urlsafe_b64decode silently drops characters outside the alphabet; be strict instead.
    if not _BASE64URL.fullmatch(raw) or len(raw) % 4 == 1:
        raise ValueError(f"{what} is not a JWT: its {name} segment is not base64url")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        value = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # "from None": the chained exception may carry the decoded bytes.
        raise ValueError(f"{what} is not a JWT: its {name} segment is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JWT: its {name} is JSON but not an object")
    return value



def _expiry_from_claims(claims: Mapping[str, Any]) -> datetime:
    if "exp" not in claims:
        raise ValueError("access token has no 'exp' (expiry) claim")
    expiry = _optional_time(claims["exp"])
    if expiry is None:
        raise ValueError("access token's 'exp' claim is not a valid number of seconds since the epoch")
    return expiry


def _optional_time(value: Any) -> Optional[datetime]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return _EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None


def _optional_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _scopes(value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


# --------------------------------------------------------------------------- the official helpers
# (exported under their official path, ``_shared.utils``)


class _MissingClaimError(KeyError, ValueError):
    """A token without ``exp``: a KeyError as in the official package, and a ValueError."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def get_current_utc_as_int() -> int:
    """The current time in whole epoch seconds."""
    return int(time.time())


def _payload(token: str) -> dict:
    parts = token.split(".")
    if len(parts) < 3:
        raise ValueError("Token is not formatted correctly: expected a JWT (three dot-separated segments)")
    # Whitespace and either base64 alphabet are tolerated, as the official decoder does.
    segment = "".join(parts[1].split()).replace("-", "+").replace("_", "/")
    try:
        claims = json.loads(base64.b64decode(segment + "=" * (-len(segment) % 4), validate=True))
    except (binascii.Error, ValueError):
        # "from None": the chained exception may carry decoded bytes of the token.
        raise ValueError("Token is not formatted correctly: its payload is not base64-encoded JSON") from None
    if not isinstance(claims, dict):
        raise ValueError("Token is not formatted correctly: its payload is not a JSON object")
    return claims


def create_access_token(token: str) -> AccessToken:
    """An ``AccessToken(token, exp)`` from a JWT, its ``exp`` claim in whole epoch seconds (not verified).

    The official package's ``_shared.utils.create_access_token``; the result's repr hides the token.

    :raises TypeError: ``token`` is not a str, or its ``exp`` is not a number.
    :raises ValueError: ``token`` is not a JWT (a ``KeyError`` too when it has no ``exp``).
    """
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {type(token).__name__}")
    claims = _payload(token)
    if "exp" not in claims:
        raise _MissingClaimError("Token has no 'exp' (expiry) claim")
    expiry = claims["exp"]
    if isinstance(expiry, bool) or not isinstance(expiry, (int, float)):
        raise TypeError(f"the token's 'exp' claim must be a number of seconds, not {type(expiry).__name__}")
    return _RedactedAccessToken(token, int(expiry))


# --------------------------------------------------------------------------- clocks and refresher results

Clock = Callable[[], Union[datetime, float, int]]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def read_clock(clock: Clock) -> datetime:
    """Call ``clock`` and normalise its answer (aware datetime or epoch seconds) to aware UTC."""
    value = clock()
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError("the credential's clock returned a naive datetime; it must be timezone-aware")
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EPOCH + timedelta(seconds=value)
    raise TypeError(f"the credential's clock must return a datetime or epoch seconds, not {type(value).__name__}")


def epoch_seconds(moment: datetime) -> int:
    return math.floor((moment - _EPOCH).total_seconds())


def token_from_refresher(result: Any) -> Tuple[str, datetime]:
    """Turn what a refresher returned into (token, expiry).

    Accepted: a JWT str (expiry from ``exp``), or an object with ``token`` and ``expires_on``, the
    latter epoch seconds (``azure.core.credentials.AccessToken``), the service's ISO 8601 string (what
    ``CommunicationIdentityClient.get_token`` returns) or an aware datetime.
    """
    if isinstance(result, str):
        try:
            return result, expiry_of(result)
        except ValueError as exc:
            raise ValueError(f"token_refresher returned an invalid token: {exc}") from None
    token = getattr(result, "token", None)
    expires_on = getattr(result, "expires_on", None)
    if not isinstance(token, str) or expires_on is None:
        raise TypeError(
            "token_refresher must return a token str or an AccessToken (token, expires_on), "
            f"not {type(result).__name__}"
        )
    if not token:
        raise ValueError("token_refresher returned an AccessToken with an empty token")
    if isinstance(expires_on, str):
        from ._models import parse_service_time

        try:
            expires_on = parse_service_time(expires_on)
        except ValueError:
            raise ValueError("token_refresher returned an AccessToken whose expires_on is a str but not an "
                             "ISO 8601 timestamp") from None
    if isinstance(expires_on, datetime):
        if expires_on.tzinfo is None or expires_on.utcoffset() is None:
            raise ValueError("token_refresher returned an AccessToken whose expires_on is a naive datetime")
        return token, expires_on.astimezone(timezone.utc)
    expiry = _optional_time(expires_on)
    if expiry is None:
        raise ValueError(
            "token_refresher returned an AccessToken whose expires_on is neither epoch seconds nor an aware datetime"
        )
    return token, expiry


# --------------------------------------------------------------------------- refresh timing


def backoff_delay(remaining: timedelta) -> timedelta:
    """How long to wait before asking the refresher again, given a token with ``remaining`` lifetime."""
    if remaining <= timedelta(0):
        return timedelta(0)
    return max(remaining * BACKOFF_FRACTION, min(BACKOFF_FLOOR, remaining))


@dataclass(frozen=True)
class CachedToken:
    """One immutable snapshot of the credential's token; swapped whole so readers need no lock.

    ``not_before`` is the earliest moment the refresher may be called again while the token is
    still valid (None for the caller-supplied initial token); ``generation`` counts refreshes so
    background refreshes can tell whether the token they were scheduled for is still current.
    """

    token: str = field(repr=False)
    expires_on: datetime
    not_before: Optional[datetime] = None
    generation: int = 0

    @classmethod
    def initial(cls, token: str) -> CachedToken:
        if not isinstance(token, str):
            raise TypeError(f"token must be a str, not {type(token).__name__}")
        return cls(token, expiry_of(token))

    def refreshed(self, result: Any, now: datetime) -> CachedToken:
        """The snapshot that replaces this one after the refresher returned ``result``."""
        token, expires_on = token_from_refresher(result)
        remaining = expires_on - now
        if remaining <= timedelta(0):
            raise ValueError(
                f"token_refresher returned a token that already expired at {expires_on.isoformat()} "
                f"({(-remaining).total_seconds():.0f} s ago)"
            )
        return CachedToken(token, expires_on, now + backoff_delay(remaining), self.generation + 1)

    def usable(self, now: datetime) -> bool:
        """True when ``get_token`` should return this token without calling the refresher."""
        if self.expires_on <= now:
            return False
        if self.expires_on - now > ON_DEMAND_REFRESH_WINDOW:
            return True
        return self.not_before is not None and now < self.not_before

    def expired(self, now: datetime) -> bool:
        return self.expires_on <= now

    def proactive_due(self, lead: timedelta) -> datetime:
        """When a background refresh should run for this token: ``lead`` before expiry, never before ``not_before``."""
        due = self.expires_on - lead
        return max(due, self.not_before) if self.not_before is not None else due

    def access_token(self) -> AccessToken:
        return _RedactedAccessToken(self.token, epoch_seconds(self.expires_on))


class _RedactedAccessToken(AccessToken):
    """An ``azure.core.credentials.AccessToken`` (same tuple, same equality) whose repr hides the token."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AccessToken(token=<redacted>, expires_on={self.expires_on})"

    __str__ = __repr__


def retry_after_failure(cached: CachedToken, now: datetime) -> Optional[datetime]:
    """When a failed background refresh should be retried; None once the cached token has expired
    (background retries stop there, and the next ``get_token`` refreshes on demand)."""
    remaining = cached.expires_on - now
    if remaining <= timedelta(0):
        return None
    return now + backoff_delay(remaining)


def validate_options(token_refresher: Any, proactive_refresh: Any, refresh_before_expiry: Any) -> None:
    if token_refresher is not None and not callable(token_refresher):
        raise TypeError(f"token_refresher must be callable, not {type(token_refresher).__name__}")
    if not isinstance(proactive_refresh, bool):
        raise TypeError(f"proactive_refresh must be a bool, not {type(proactive_refresh).__name__}")
    if proactive_refresh and token_refresher is None:
        raise ValueError("proactive_refresh=True needs a token_refresher to refresh with")
    if not isinstance(refresh_before_expiry, timedelta):
        kind = type(refresh_before_expiry).__name__
        raise TypeError(f"refresh_before_expiry must be a datetime.timedelta, not {kind}")
    if refresh_before_expiry <= timedelta(0):
        raise ValueError("refresh_before_expiry must be a positive timedelta")


def no_refresher_error(cached: CachedToken) -> ValueError:
    return ValueError(
        f"the access token expired at {cached.expires_on.isoformat()} and no token_refresher was given to renew it"
    )


CLOSED_MESSAGE = "this CommunicationTokenCredential is closed; create a new one to get tokens"
