"""Values the client returns."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import NamedTuple, Optional

from azure.core.credentials import AccessToken as _CoreAccessToken

# ISO 8601 as the service writes it: "2021-01-29T18:19:30.8206627+00:00" (7 fractional digits, which
# datetime.fromisoformat only reads from Python 3.11 on). A missing offset is read as UTC.
_SERVICE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?"
)


def parse_service_time(text: str) -> datetime:
    """The aware UTC datetime of an ISO 8601 timestamp such as the service's ``expiresOn``.

    :raises ValueError: ``text`` is not such a timestamp.
    """
    match = _SERVICE_TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp such as '2021-01-29T18:19:30.8206627+00:00'")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    offset = match["offset"] or "+00:00"
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    moment = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    return moment.astimezone(timezone.utc)


class AccessToken(_CoreAccessToken):
    """An issued Communication Services access token: an ``azure.core.credentials.AccessToken``.

    As in the official package, ``expires_on`` is the service's ISO 8601 string
    (``"2026-12-02T19:40:56.0000000+00:00"``), so ``json.dumps`` and string concatenation work on it.
    :attr:`expires_on_datetime` gives the same moment as a timezone-aware UTC ``datetime``.
    The repr never shows the token.
    """

    __slots__ = ()

    @property
    def expires_on_datetime(self) -> datetime:
        """``expires_on`` as a timezone-aware UTC :class:`datetime.datetime`."""
        return parse_service_time(self.expires_on)

    def __repr__(self) -> str:
        return f"AccessToken(token=<redacted>, expires_on={self.expires_on!r})"

    __str__ = __repr__


class CommunicationUserDetails(NamedTuple):
    """What the service knows about an identity (``get_user``, api-version 2025-03-02-preview)."""

    id: str
    custom_id: Optional[str]
    last_token_issued_at: Optional[datetime]
