"""Values the client returns."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Optional


class AccessToken(NamedTuple):
    """An issued Communication Services access token.

    ``token`` is the JWT to hand to chat and calling clients; ``expires_on`` is when it stops
    working, a timezone-aware UTC :class:`datetime.datetime`. The repr never shows the token.
    """

    token: str
    expires_on: datetime

    def __repr__(self) -> str:
        return f"AccessToken(token=<redacted>, expires_on={self.expires_on.isoformat()})"

    __str__ = __repr__


class CommunicationUserDetails(NamedTuple):
    """What the service knows about an identity (``get_user``, api-version 2025-03-02-preview)."""

    id: str
    custom_id: Optional[str]
    last_token_issued_at: Optional[datetime]
