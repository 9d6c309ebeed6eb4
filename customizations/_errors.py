"""Errors for bad input found before a request is sent, shaped as the service's answer to it.

The official package sends such requests and raises what the service answers (an
``HttpResponseError`` 400 ``ValidationError``, or a ``ClientAuthenticationError`` 401
``InvalidAccessToken``). This package checks them locally (no round trip, a message that names the
argument), and raises an exception that is both that azure-core error, built from the body the
service would have sent, and a ``ValueError``. Handlers written for either keep working:
``status_code``, ``reason``, ``error.code``, ``error.message``, ``error.target``, ``message`` and
``response.json()`` read as for a service answer; ``response.request`` is absent, because no
request was sent.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Optional

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.rest._http_response_impl import HttpResponseImpl

_CONTENT_TYPE = "application/json; charset=utf-8"


class LocalHttpResponseError(HttpResponseError, ValueError):
    """What the service answers 400 to, found before sending: an ``HttpResponseError`` and a ``ValueError``."""


class LocalClientAuthenticationError(ClientAuthenticationError, ValueError):
    """What the service answers 401 to, found before sending: a ``ClientAuthenticationError`` and a ``ValueError``."""


class ArgumentTypeError(TypeError, ValueError):
    """A wrong argument type where the official package raises ``ValueError``: catchable as either."""


class _NoConnection:
    """Stands in for the transport's response object: there is none to release."""

    def close(self) -> None:
        return None


class _LocalResponse(HttpResponseImpl):
    """The service's answer to a request that was not sent, body already read."""

    def __init__(self, status: int, document: dict) -> None:
        body = json.dumps(document).encode("utf-8")
        headers = {"Content-Type": _CONTENT_TYPE, "Content-Length": str(len(body))}
        super().__init__(request=None, internal_response=_NoConnection(), status_code=status,
                         reason=HTTPStatus(status).phrase, content_type=_CONTENT_TYPE, headers=headers,
                         stream_download_generator=None)
        self._content = body
        self._is_stream_consumed = True
        self._is_closed = True


def _document(code: str, message: str, target: Optional[str]) -> dict:
    error: dict = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    return {"error": error}


def validation_error(message: str, *, target: Optional[str] = None) -> LocalHttpResponseError:
    """A 400 ``ValidationError`` as the service words its errors (``target`` names the wire field)."""
    return LocalHttpResponseError(response=_LocalResponse(400, _document("ValidationError", message, target)))


def invalid_access_token(detail: str) -> LocalClientAuthenticationError:
    """The service's 401 ``InvalidAccessToken`` for a token it cannot accept, with what is wrong with it."""
    message = f"Provided access token is not valid: {detail}"
    return LocalClientAuthenticationError(response=_LocalResponse(401, _document("InvalidAccessToken", message, None)))


def is_local(error: Any) -> bool:
    """True for the errors above: raised before any request, so nothing reached the service."""
    return isinstance(error, (LocalHttpResponseError, LocalClientAuthenticationError))
