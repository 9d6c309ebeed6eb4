"""The service's error shape and the exception the handlers raise to produce it."""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Optional

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error answer: ``{"error": {"code", "message", "target"?}}`` with an HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
        innererror: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = headers or {}
        self.innererror = innererror

    def body(self) -> bytes:
        error: Dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.innererror is not None:
            error["innererror"] = self.innererror
        return json.dumps({"error": error}).encode("utf-8")


def validation(message: str, target: Optional[str] = None) -> ApiError:
    return ApiError(400, "ValidationError", message, target=target)


def entra_guid(value: Any, target: str) -> str:
    """An Entra ID tenant, object or client id in its canonical form (GUIDs compare in any case); 400
    ``ValidationError`` naming ``target`` for anything else."""
    if value is None:
        raise validation(f"{target} is required: an Entra ID GUID.", target=target)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return str(uuid.UUID(value))
    except ValueError:
        shown = f"'{shorten(value)}'" if isinstance(value, str) else type(value).__name__
        raise validation(f"{target} must be an Entra ID GUID; got {shown}.", target=target) from None


def unauthorized(code: str, message: str, **kwargs: Any) -> ApiError:
    return ApiError(401, code, message, **kwargs)


def shorten(value: str, limit: int = 64) -> str:
    """A caller-supplied value made safe to quote in a message (bounded, repr-escaped)."""
    text = value if len(value) <= limit else value[:limit] + "..."
    return repr(text)[1:-1]


class StartupError(Exception):
    """Configuration or files the emulator cannot start with; the message is one line for the user."""
