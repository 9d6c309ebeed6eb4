"""Compatibility path ``azure.communication.identity._shared.utils`` (official 1.5.0 layout).

Same names, signatures and results as the official helpers: ``parse_connection_str`` returns the
endpoint's host (no scheme) and the key, ``create_access_token`` an
``azure.core.credentials.AccessToken`` whose ``expires_on`` is the token's ``exp`` in epoch seconds.
Error messages never contain the token or the key. The supported API is
``azure.communication.identity.parse_connection_string`` and ``decode_access_token``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import time
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Tuple

from azure.core.credentials import AccessToken

from .._connection_string import connection_string_fields

TZ_UTC = timezone.utc

_FORMAT = "endpoint=https://<resource>/;accesskey=<key>"


class _MissingClaimError(KeyError, ValueError):
    """A token without ``exp``: a KeyError as in the official package, and a ValueError."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _convert_datetime_to_utc_int(input_datetime: datetime) -> int:
    """Epoch seconds (whole, truncated) of ``input_datetime``; a naive datetime is taken as UTC."""
    return calendar.timegm(input_datetime.utctimetuple())


def parse_connection_str(conn_str: str) -> Tuple[str, str]:
    """``(host, access_key)`` of ``endpoint=...;accesskey=...``: the host is the endpoint without its scheme.

    Keys are case-insensitive, other parts are ignored, the last of repeated parts wins (as in the
    official package); the key is not checked here (the client checks it).

    :raises ValueError: ``conn_str`` is None, or lacks the endpoint or the access key.
    """
    fields = connection_string_fields(conn_str)
    endpoint = (fields.get("endpoint") or [""])[-1].rstrip("/")
    access_key = (fields.get("accesskey") or [""])[-1]
    if not endpoint or not access_key:
        raise ValueError(f"Invalid connection string: it needs both endpoint and accesskey, as in {_FORMAT!r}; "
                         "copy it from the resource's Keys page in the Azure portal.")
    _scheme, separator, host = endpoint.partition("//")
    return (host if separator else endpoint), access_key


def get_current_utc_time() -> str:
    """The current time as an RFC 1123 date (``x-ms-date``): ``'Tue, 01 Dec 2026 21:01:19 GMT'``."""
    return formatdate(time.time(), usegmt=True)


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
    return AccessToken(token, int(expiry))
