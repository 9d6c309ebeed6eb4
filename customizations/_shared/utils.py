"""Compatibility path ``azure.communication.identity._shared.utils`` (official 1.5.0 layout).

Same names, signatures and results as the official helpers: ``parse_connection_str`` returns the
endpoint's host (no scheme) and the key, ``create_access_token`` an
``azure.core.credentials.AccessToken`` whose ``expires_on`` is the token's ``exp`` in epoch seconds.
Error messages never contain the token or the key. The supported API is
``azure.communication.identity.parse_connection_string`` and ``decode_access_token``.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Tuple

from .._connection_string import connection_string_fields
from .._token_utils import create_access_token, get_current_utc_as_int

__all__ = ["TZ_UTC", "create_access_token", "get_current_utc_as_int", "get_current_utc_time", "parse_connection_str"]

TZ_UTC = timezone.utc

_FORMAT = "endpoint=https://<resource>/;accesskey=<key>"


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
