"""The server's idea of the time, which tests may set off from the machine's clock.

A client whose clock is wrong is simulated by a server whose clock is wrong by the opposite
amount: the request-date window and the response's ``Date`` header both follow this clock.
"""
from __future__ import annotations

import time
from email.utils import formatdate

MAX_OFFSET_SECONDS = 86400


class ServerClock:
    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def now(self) -> float:
        return time.time() + self.offset_seconds

    def http_date(self) -> str:
        return formatdate(self.now(), usegmt=True)
