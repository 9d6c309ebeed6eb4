"""Request authentication: HMAC-SHA256 with the access key, or an Azure AD bearer token.

The error messages name what is wrong (header, hash, date, signature) but never echo a key,
a signature or a token.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Collection, Dict, Mapping, Optional, Tuple

from .errors import ApiError, unauthorized
from .jsontext import is_finite_number
from .keys import KeyRing, MalformedToken, split_token

EMPTY_BODY_HASH = base64.b64encode(hashlib.sha256(b"").digest()).decode()
MAX_CLOCK_SKEW_SECONDS = 15 * 60
ACS_AUDIENCES = frozenset({"https://communication.azure.com", "https://communication.azure.com/"})
_REQUIRED_SIGNED = frozenset({"host", "x-ms-content-sha256"})
# Leeway for an Azure AD token's nbf against the server clock.
NOT_BEFORE_LEEWAY_SECONDS = 300
# Azure AD tokens live hours; an exp further out than this is not one (and would overflow dates).
MAX_AAD_TOKEN_LIFETIME_SECONDS = 366 * 86400


def decode_access_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the access key is not valid base64") from exc
    if not key:
        raise ValueError("the access key is empty")
    return key


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode() if body else EMPTY_BODY_HASH


def _bad_token(message: str = "Provided access token is not valid.") -> ApiError:
    return unauthorized("InvalidAccessToken", message)


def verify_aad_token(keys: KeyRing, token: Any, audiences: Collection[str], now: float) -> Dict[str, Any]:
    """The claims of an Azure AD token signed by one of ``keys`` for one of ``audiences`` and valid
    at ``now`` (the server clock); ApiError 401 ``InvalidAccessToken`` otherwise."""
    try:
        header, claims, signing_input, signature = split_token(token)
    except MalformedToken as exc:
        raise _bad_token() from exc
    if not keys.verify(header, signing_input, signature):
        raise _bad_token()
    audience = claims.get("aud")
    if not any(isinstance(a, str) and a in audiences for a in (audience if isinstance(audience, list) else [audience])):
        raise _bad_token(f"Provided access token is not valid: its audience must be {min(audiences)}.")
    expires = claims.get("exp")
    if not is_finite_number(expires) or expires > now + MAX_AAD_TOKEN_LIFETIME_SECONDS:
        raise _bad_token("Provided access token is not valid: its exp claim is not a plausible expiry time.")
    if expires <= now:
        raise _bad_token("Provided access token has expired.")
    not_before = claims.get("nbf")
    if not_before is not None and (not is_finite_number(not_before) or not_before > now + NOT_BEFORE_LEEWAY_SECONDS):
        raise _bad_token("Provided access token is not valid yet (nbf).")
    return claims


def user_token_claims(keys: KeyRing, authorization: Optional[str], audiences: Collection[str], now: float,
                      token_name: str) -> Dict[str, Any]:
    """The claims of the bearer token with which a user calls an exchange itself (``token_name`` names it in
    the messages): 401 ``Unauthorized`` without one, ``InvalidAuthenticationInfo`` for another scheme (the
    resource's key is not a user), ``InvalidAccessToken`` for a token :func:`verify_aad_token` refuses."""
    if not authorization:
        raise unauthorized("Unauthorized", f"The exchange needs {token_name} as 'Authorization: Bearer <token>'.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise unauthorized("InvalidAuthenticationInfo", f"The exchange takes {token_name} as a Bearer token, not "
                           "the resource's access key.")
    return verify_aad_token(keys, token.strip(), audiences, now)


class Authenticator:
    def __init__(self, access_key: bytes, aad_keys: KeyRing, clock: Callable[[], float] = time.time) -> None:
        self._key = access_key
        self._aad_keys = aad_keys
        self._clock = clock
        self._last_date: Tuple[str, float] = ("", 0.0)

    def check(self, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes) -> None:
        authorization = headers.get("Authorization")
        if not authorization:
            raise unauthorized(
                "Unauthorized",
                "The request has no Authorization header: sign it with HMAC-SHA256 or send an Azure AD bearer token.",
            )
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "bearer":
            self._check_bearer(rest.strip())
        elif scheme.upper() == "HMAC-SHA256":
            self._check_hmac(method, path_and_query, headers, body, rest.strip())
        else:
            raise unauthorized(
                "InvalidAuthenticationInfo", "The Authorization scheme must be HMAC-SHA256 or Bearer.")

    # -- HMAC ------------------------------------------------------------------------------
    def _check_hmac(self, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes,
                    parameters: str) -> None:
        fields = {}
        for part in parameters.split("&"):
            name, sep, value = part.partition("=")
            if sep:
                fields[name.strip().lower()] = value.strip()
        signed = [h.strip().lower() for h in fields.get("signedheaders", "").split(";") if h.strip()]
        signature_text = fields.get("signature")
        if not signed or not signature_text:
            raise unauthorized(
                "InvalidAuthenticationInfo",
                "The HMAC-SHA256 Authorization header needs SignedHeaders=...&Signature=...",
            )
        date_header = "x-ms-date" if "x-ms-date" in signed else ("date" if "date" in signed else None)
        if not _REQUIRED_SIGNED.issubset(signed) or date_header is None:
            raise unauthorized(
                "InvalidAuthenticationInfo",
                "SignedHeaders must include x-ms-date, host and x-ms-content-sha256.",
            )
        values = []
        for name in signed:
            value = headers.get(name)
            if value is None:
                raise unauthorized("InvalidAuthenticationInfo", f"The signed header {name!r} is missing.")
            # aiohttp hands over bytes that are not UTF-8 as surrogates; what is signed must be ASCII.
            if not value.isascii():
                raise unauthorized("InvalidAuthenticationInfo", f"The signed header {name!r} is not ASCII.")
            values.append(value)

        if not hmac.compare_digest(headers["x-ms-content-sha256"].encode(), content_hash(body).encode()):
            raise unauthorized(
                "InvalidContentHash",
                "The x-ms-content-sha256 header does not match the SHA-256 hash of the request body.",
            )
        self._check_date(headers[date_header], date_header)

        string_to_sign = f"{method.upper()}\n{path_and_query}\n{';'.join(values)}"
        expected = hmac.new(self._key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
        try:
            presented = base64.b64decode(signature_text, validate=True)
        except (binascii.Error, ValueError):
            presented = b""
        if not hmac.compare_digest(expected, presented):
            raise unauthorized(
                "InvalidSignature",
                "The request signature does not match: check the access key and that the method, the path and "
                "query as sent, the Host header, x-ms-date and x-ms-content-sha256 are what was signed.",
            )

    def _check_date(self, value: str, header: str) -> None:
        cached_value, cached_ts = self._last_date
        if value == cached_value:
            sent = cached_ts
        else:
            try:
                parsed = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                raise unauthorized(
                    "InvalidAuthenticationInfo",
                    f"The {header} header is not an RFC 1123 date such as 'Tue, 01 Apr 2025 10:00:00 GMT'.",
                )
            sent = parsed.timestamp()
            self._last_date = (value, sent)
        skew = sent - self._clock()
        if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
            direction = "ahead of" if skew > 0 else "behind"
            raise unauthorized(
                "RequestDateOutOfRange",
                f"The request's {header} is {abs(int(skew))} seconds {direction} the server's clock; it must be "
                f"within {MAX_CLOCK_SKEW_SECONDS // 60} minutes. Check the client's clock (the response's Date "
                "header carries the server time).",
                innererror={"code": "ClockSkew", "message": f"Clock skew: {int(skew)} seconds.",
                            "skewSeconds": int(skew)},
            )

    # -- bearer ------------------------------------------------------------------------------
    def _check_bearer(self, token: str) -> None:
        verify_aad_token(self._aad_keys, token, ACS_AUDIENCES, self._clock())
