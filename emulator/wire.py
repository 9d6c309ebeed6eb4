"""Response building and request-body parsing shared by the service and admin handlers."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Dict, Optional

from aiohttp import web

from . import jsontext
from .errors import JSON_CONTENT_TYPE, ApiError, shorten, validation
from .versions import SUPPORTED_VERSIONS_HEADER

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_CLIENT_TIMEOUT_SECONDS = 30.0
# Seconds a client may take to send a request body; set per application by the server.
BODY_TIMEOUT = web.AppKey("body_timeout_seconds", float)
_REQUEST_ID = "x-ms-client-request-id"


def _common_headers(request: web.Request) -> Dict[str, str]:
    headers = {"api-supported-versions": SUPPORTED_VERSIONS_HEADER}
    request_id = request.headers.get(_REQUEST_ID)
    # Echo only what can be written back verbatim; anything else is dropped, never a 500.
    if request_id and len(request_id) <= 1024 and request_id.isascii() and request_id.isprintable():
        headers[_REQUEST_ID] = request_id
    return headers


def json_response(request: web.Request, status: int, document: Any,
                  headers: Optional[Dict[str, str]] = None) -> web.Response:
    all_headers = _common_headers(request)
    all_headers["Content-Type"] = JSON_CONTENT_TYPE
    if headers:
        all_headers.update(headers)
    return web.Response(status=status, body=json.dumps(document).encode("utf-8"), headers=all_headers)


def empty_response(request: web.Request, status: int = 204) -> web.Response:
    return web.Response(status=status, headers=_common_headers(request))


def error_response(request: web.Request, error: ApiError) -> web.Response:
    headers = _common_headers(request)
    headers.update(error.headers)
    headers["Content-Type"] = JSON_CONTENT_TYPE
    response = web.Response(status=error.status, body=error.body(), headers=headers)
    if error.status == 408:
        # The rest of a body that was too slow to arrive is not worth waiting for.
        response.force_close()
    return response


BODYLESS_STATUSES = frozenset({204, 304})


def raw_response(request: web.Request, status: int, body: bytes, headers: Dict[str, str]) -> web.Response:
    all_headers = _common_headers(request)
    if status in BODYLESS_STATUSES:  # HTTP forbids a body here; a Content-Type would announce one
        all_headers.update(headers)
        return web.Response(status=status, headers=all_headers)
    all_headers["Content-Type"] = JSON_CONTENT_TYPE
    all_headers.update(headers)
    return web.Response(status=status, body=body, headers=all_headers)


async def read_body(request: web.Request) -> bytes:
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise too_large()
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # The service takes bodies as sent (the HMAC hash covers those bytes); the server does not
        # decompress them either (auto_decompress is off), so say so instead of failing to parse.
        raise ApiError(415, "UnsupportedMediaType",
                       f"Content-Encoding '{shorten(encoding, 32)}' is not supported; send the body uncompressed.",
                       target="Content-Encoding")
    timeout = request.config_dict.get(BODY_TIMEOUT, DEFAULT_CLIENT_TIMEOUT_SECONDS)
    try:
        # Bounded, so a client trickling its body (slowloris) cannot hold a handler forever.
        return await asyncio.wait_for(request.read(), timeout)
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large() from exc
    except asyncio.TimeoutError as exc:
        raise ApiError(408, "RequestTimeout",
                       f"The request body did not arrive within {timeout:g} seconds.") from exc


def too_large() -> ApiError:
    return ApiError(413, "RequestEntityTooLarge",
                    f"The request body is larger than the {MAX_BODY_BYTES // 1024} KiB limit.")


def parse_object(body: bytes, *, required: bool) -> Dict[str, Any]:
    """The JSON object in ``body``; ``{}`` for an empty optional body; ApiError(400) otherwise."""
    if not body.strip():
        if required:
            raise validation("A JSON request body is required.", target="body")
        return {}
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise validation("The request body is not valid UTF-8.", target="body") from exc
    try:
        document = jsontext.loads(text)
    except RecursionError as exc:
        raise validation("The request body nests too deeply.", target="body") from exc
    except ValueError as exc:
        raise validation("The request body is not valid JSON.", target="body") from exc
    if not isinstance(document, dict):
        raise validation("The request body must be a JSON object.", target="body")
    return document


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def iso_utc(timestamp: float) -> str:
    """ISO 8601 with 7 fractional digits and an explicit offset, as the service writes times."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"
