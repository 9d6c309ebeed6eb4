"""Injected faults: answer the next N matching requests with an error, a delay or a dropped connection."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from .errors import ApiError
from .versions import ROUTES
from .wire import BODYLESS_STATUSES

# Every operation of every served version, by the version table's names (``create``, ``issueAccessToken``,
# ``teamsExtensionGetAssignment``, ...).
OPERATIONS = frozenset(name for _, name, _ in ROUTES)

# Headers that frame the message or the connection: the server sets them, a fault may not.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
                              "te", "trailer", "proxy-connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")  # printable ASCII, no CR/LF

_DEFAULT_CODES = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
                  503: "ServiceUnavailable", 504: "GatewayTimeout"}


@dataclass
class Fault:
    count: int = 1
    operation: Optional[str] = None
    status: Optional[int] = None
    headers: Dict[str, str] = field(default_factory=dict)
    body: Optional[Any] = None
    delay_seconds: float = 0.0
    drop: bool = False
    after_processing: bool = False

    def describe(self) -> Dict[str, Any]:
        return asdict(self)


def parse_fault(document: Any) -> Fault:
    """A Fault from the admin request body; ApiError(400) naming the first bad field."""
    if not isinstance(document, dict):
        raise ApiError(400, "ValidationError", "The fault must be a JSON object.")
    known = set(Fault.__dataclass_fields__)
    unknown = sorted(set(document) - known)
    if unknown:
        raise ApiError(400, "ValidationError", f"Unknown fault fields: {', '.join(unknown)}.")
    fault = Fault()
    count = document.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ApiError(400, "ValidationError", "count must be a positive integer.", target="count")
    fault.count = count
    operation = document.get("operation")
    if operation is not None and operation not in OPERATIONS:
        raise ApiError(400, "ValidationError",
                       f"operation must be null or one of {', '.join(sorted(OPERATIONS))}.", target="operation")
    fault.operation = operation
    status = document.get("status")
    # 1xx would be an interim answer followed by nothing; the client would wait for the real one.
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599):
        raise ApiError(400, "ValidationError", "status must be an HTTP status code within [200, 599].",
                       target="status")
    fault.status = status
    fault.headers = _headers(document.get("headers") or {})
    fault.body = document.get("body")
    if status in BODYLESS_STATUSES and fault.body is not None:
        raise ApiError(400, "ValidationError", f"A {status} answer has no body.", target="body")
    delay = document.get("delay_seconds", 0.0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 300:
        raise ApiError(400, "ValidationError", "delay_seconds must be a number in [0, 300].", target="delay_seconds")
    fault.delay_seconds = float(delay)
    for flag in ("drop", "after_processing"):
        value = document.get(flag, False)
        if not isinstance(value, bool):
            raise ApiError(400, "ValidationError", f"{flag} must be a boolean.", target=flag)
        setattr(fault, flag, value)
    if fault.status is None and not fault.drop and fault.delay_seconds == 0:
        raise ApiError(400, "ValidationError", "A fault needs a status, drop=true or a delay.")
    return fault


def _headers(headers: Any) -> Dict[str, str]:
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _HEADER_NAME.fullmatch(k) and _HEADER_VALUE.fullmatch(v)
        for k, v in headers.items()
    ):
        raise ApiError(400, "ValidationError", "headers must map header names (tokens) to printable ASCII values.",
                       target="headers")
    framing = sorted(name for name in headers if name.lower() in _FRAMING_HEADERS)
    if framing:
        raise ApiError(400, "ValidationError", f"headers may not set {', '.join(framing)}: the server frames "
                       "the response.", target="headers")
    return dict(headers)


def error_body(fault: Fault) -> bytes:
    if fault.body is not None:
        return json.dumps(fault.body).encode("utf-8")
    status = fault.status or 500
    code = _DEFAULT_CODES.get(status, "InjectedFault")
    return ApiError(status, code, f"Fault injected by the emulator (status {status}).").body()


class FaultQueue:
    def __init__(self) -> None:
        self._faults: List[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> List[Dict[str, Any]]:
        return [f.describe() for f in self._faults]

    def take(self, operation: str) -> Optional[Fault]:
        """The first queued fault for ``operation``, using up one of its requests."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.operation is None or fault.operation == operation:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None
