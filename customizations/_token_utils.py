"""Helpers for Communication Services access tokens: unverified JWT decoding and refresh timing.

Nothing here ever puts a token (or any part of one) into a message, repr or log line: tokens are
bearer secrets, and error messages end up in logs and bug reports.

The refresh-timing half is pure (no threads, no event loop; the credentials read the clock and pass
``now`` in) so the sync and async credentials share one set of rules and tests can drive it with any
clock. The official package's ``create_access_token`` and ``get_current_utc_as_int`` live here too.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Optional, Tuple, Union

import isodate
from azure.core.credentials import AccessToken

#: ``get_token`` returns the cached token while it is valid for at least this long (without proactive refresh).
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



class _MissingExpiryError(KeyError, ValueError):
    """A token without ``exp``: the official package's KeyError, and a ValueError like every other bad token."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _ExpiryTypeError(TypeError, ValueError):
    """A non-numeric ``exp``: the official package's TypeError, and a ValueError like every other bad token."""


def _expiry_from_claims(claims: Mapping[str, Any]) -> datetime:
    if "exp" not in claims:
        raise _MissingExpiryError("access token has no 'exp' (expiry) claim")
    expiry = _optional_time(claims["exp"])
    if expiry is None:
        raise _ExpiryTypeError("access token's 'exp' claim is not a valid number of seconds since the epoch")
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


# --------------------------------------------------------------------------- the official package's token rules
#
# azure-communication-identity 1.5.0 reads only a token's payload (header and signature are not looked
# at), decodes it as base64 (whitespace and padding tolerated) and reports every problem with one
# message. The credential accepts the same tokens, base64url ones too, and raises the same messages;
# the precise reason is chained as the exception's cause (it never contains the token).

TOKEN_NOT_A_STRING = "Token must be a string."
TOKEN_MALFORMED = "Token is not formatted correctly"
PROACTIVE_WITHOUT_REFRESHER = "When 'proactive_refresh' is True, 'token_refresher' must not be None."
REFRESHED_TOKEN_EXPIRED = "The token returned from the token_refresher is expired."
CLOSED_MESSAGE = "An instance of CommunicationTokenCredential cannot be reused once it has been closed."

_WHITESPACE = re.compile(r"\s+")


def token_expiry(token: Any) -> datetime:
    """The ``exp`` of a token given to the credential, read as the official package reads it.

    :raises TypeError: ``token`` is not a str ("Token must be a string.").
    :raises ValueError: no numeric ``exp`` can be read ("Token is not formatted correctly"); the
        cause says why.
    """
    if not isinstance(token, str):
        raise TypeError(TOKEN_NOT_A_STRING) from TypeError(f"token must be a str, not {type(token).__name__}")
    try:
        return _payload_expiry(token)
    except ValueError as reason:
        raise ValueError(TOKEN_MALFORMED) from reason


def _payload_expiry(token: str) -> datetime:
    segments = token.split(".")
    if len(segments) != 3:
        raise ValueError(f"access token is not a JWT: expected 3 dot-separated segments, found {len(segments)}")
    payload = _WHITESPACE.sub("", segments[1]).rstrip("=").replace("+", "-").replace("/", "_")
    if not payload:
        raise ValueError("access token is not a JWT: its payload segment is empty")
    return _expiry_from_claims(_json_object(payload, "payload", "access token"))


def create_access_token(token: str) -> AccessToken:
    """An azure-core ``AccessToken`` for ``token``, expiring at its ``exp`` claim (whole seconds).

    The official package's ``_shared.utils.create_access_token``: same result, same errors (those of
    :func:`token_expiry`, except that a missing ``exp`` is a ``KeyError`` and a non-numeric one a
    ``TypeError``, as there; both are ``ValueError`` too); the repr of the result hides the token.
    """
    if not isinstance(token, str):
        raise TypeError(TOKEN_NOT_A_STRING) from TypeError(f"token must be a str, not {type(token).__name__}")
    try:
        expiry = _payload_expiry(token)
    except (_MissingExpiryError, _ExpiryTypeError):
        raise
    except ValueError as reason:
        raise ValueError(TOKEN_MALFORMED) from reason
    return _RedactedAccessToken(token, epoch_seconds(expiry))


def get_current_utc_as_int() -> int:
    """Now, in whole seconds since the epoch: the credentials' clock.

    Each credential module reads it through its own global of this name, so patching
    ``<module>.get_current_utc_as_int`` (as the official package's tests do) moves that credential's clock.
    """
    return math.floor(time.time())


# --------------------------------------------------------------------------- clocks and refresher results

Clock = Callable[[], Union[datetime, float, int]]


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


def _whole_seconds(moment: datetime) -> datetime:
    # Expiries are kept to the second, like azure-core's AccessToken.expires_on, so refresh timing
    # is the same whether a token came as a JWT or as an AccessToken.
    return _EPOCH + timedelta(seconds=epoch_seconds(moment))


def token_from_refresher(result: Any) -> Tuple[str, datetime]:
    """Turn what a refresher returned into (token, expiry).

    Accepted: an object with ``token`` and ``expires_on`` (``azure.core.credentials.AccessToken``:
    epoch seconds; an aware datetime; or the service's ISO 8601 string with an offset, the value
    ``CommunicationIdentityClient.get_token`` returns), or a JWT str (expiry from ``exp``).
    """
    if isinstance(result, str):
        try:
            return result, _payload_expiry(result)
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
        expires_on = _iso_time(expires_on)
    if isinstance(expires_on, datetime):
        if expires_on.tzinfo is None or expires_on.utcoffset() is None:
            raise ValueError("token_refresher returned an AccessToken whose expires_on is a naive datetime")
        return token, expires_on.astimezone(timezone.utc)
    expiry = _optional_time(expires_on)
    if expiry is None:
        raise ValueError(
            "token_refresher returned an AccessToken whose expires_on is neither epoch seconds, an aware "
            "datetime nor an ISO 8601 time with an offset"
        )
    return token, expiry


def _iso_time(text: str) -> Optional[datetime]:
    try:
        moment = isodate.parse_datetime(text)
    except (isodate.ISO8601Error, ValueError):
        return None
    return moment if moment.utcoffset() is not None else None


# --------------------------------------------------------------------------- refresh timing


def backoff_delay(remaining: timedelta) -> timedelta:
    """How long to wait before asking the refresher again, given a token with ``remaining`` lifetime."""
    if remaining <= timedelta(0):
        return timedelta(0)
    return max(remaining * BACKOFF_FRACTION, min(BACKOFF_FLOOR, remaining))


def on_demand_window(proactive: bool, lead: timedelta) -> timedelta:
    """How close to expiry ``get_token`` itself refreshes: 2 minutes, or the proactive lead time
    (10 minutes by default) when proactive refresh is on, as in the official package."""
    return max(lead, ON_DEMAND_REFRESH_WINDOW) if proactive else ON_DEMAND_REFRESH_WINDOW


@dataclass(frozen=True)
class CachedToken:
    """One immutable snapshot of the credential's token; swapped whole so readers need no lock.

    ``expires_on`` is kept to the whole second. ``not_before`` is the earliest moment the refresher
    may be called again while the token is still valid (None for the caller-supplied initial token);
    ``generation`` counts refreshes so background refreshes can tell whether the token they were
    scheduled for is still current.
    """

    token: str = field(repr=False)
    expires_on: datetime
    not_before: Optional[datetime] = None
    generation: int = 0

    @classmethod
    def initial(cls, token: str) -> CachedToken:
        return cls(token, _whole_seconds(token_expiry(token)))

    def refreshed(self, result: Any, now: datetime) -> CachedToken:
        """The snapshot that replaces this one after the refresher returned ``result``."""
        token, expires_on = token_from_refresher(result)
        expires_on = _whole_seconds(expires_on)
        remaining = expires_on - now
        if remaining <= timedelta(0):
            raise ValueError(REFRESHED_TOKEN_EXPIRED) from ValueError(
                f"token_refresher returned a token that already expired at {expires_on.isoformat()} "
                f"({(-remaining).total_seconds():.0f} s ago)"
            )
        return CachedToken(token, expires_on, now + backoff_delay(remaining), self.generation + 1)

    def usable(self, now: datetime, window: timedelta) -> bool:
        """True when ``get_token`` should hand out this token as it is: valid for ``window`` or more,
        or not expired while a recent refresh is still backing off."""
        if self.expires_on <= now:
            return False
        if self.expires_on - now >= window:
            return True
        return self.not_before is not None and now < self.not_before

    def expired(self, now: datetime) -> bool:
        return self.expires_on <= now

    def proactive_due(self, lead: timedelta, now: datetime) -> datetime:
        """When a background refresh should run for this token: ``lead`` before expiry; once that has
        passed, after half of the remaining lifetime (the official package's fractional backoff);
        never before ``not_before``."""
        due = self.expires_on - lead
        if due < now:
            due = now + backoff_delay(self.expires_on - now)
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


def check_options(token_refresher: Any, proactive_refresh: Any, refresh_before_expiry: Any) -> bool:
    """Validate the credential's options; returns ``proactive_refresh`` taken for its truth value
    (the official package accepts any value there)."""
    proactive = bool(proactive_refresh)
    if proactive and token_refresher is None:
        raise ValueError(PROACTIVE_WITHOUT_REFRESHER)
    if token_refresher is not None and not callable(token_refresher):
        raise TypeError(f"token_refresher must be callable, not {type(token_refresher).__name__}")
    if not isinstance(refresh_before_expiry, timedelta):
        kind = type(refresh_before_expiry).__name__
        raise TypeError(f"refresh_before_expiry must be a datetime.timedelta, not {kind}")
    if refresh_before_expiry <= timedelta(0):
        raise ValueError("refresh_before_expiry must be a positive timedelta")
    return proactive


def replaced_since(generation: int) -> Callable[[CachedToken, datetime], bool]:
    """The skip check of a background refresh: moot once another refresh replaced the token it was
    planned for."""
    return lambda current, _now: current.generation != generation


def log_background_failure(logger: logging.Logger, error: BaseException, retry_at: Optional[datetime]) -> None:
    # The type only: the refresher's message might contain a token.
    logger.warning(
        "Background refresh of the communication token failed (%s); %s",
        type(error).__name__,
        f"retrying at {retry_at.isoformat()}" if retry_at else "the next get_token() will retry",
    )


def static_token_expired(cached: CachedToken) -> str:
    """The log line for a token that expired with nothing to renew it (it is still returned, as the
    official package does; the service will refuse it)."""
    return (
        f"The communication access token expired at {cached.expires_on.isoformat()} and no token_refresher "
        "was given to renew it; get_token() keeps returning the expired token"
    )
