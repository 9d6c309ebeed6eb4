"""Pipeline policies this package puts in place of azure-core's defaults.

* :class:`RetryPolicy` / :class:`AsyncRetryPolicy`: azure-core's, except for creates. On the
  api-versions without repeatability headers (all but 2023-08-01) a create is not replayed after the
  service may have acted on it: a replayed create after a lost 500/502/504 response would make a
  second user, so only 429 and 503 (the service did not process the request) are retried. A create
  that carries ``Repeatability-Request-ID`` (2023-08-01) is safe to send again, so it is retried
  like any request, after a dropped connection or read timeout too (azure-core never retries a
  POST after those).
* :class:`RedactingNetworkTraceLoggingPolicy`: the request/response trace of ``logging_enable=True``,
  with the Authorization header and every ``token`` in a JSON body replaced: azure-core's own trace
  prints both verbatim.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from azure.core.pipeline.policies import AsyncRetryPolicy as _CoreAsyncRetryPolicy
from azure.core.pipeline.policies import RetryPolicy as _CoreRetryPolicy
from azure.core.pipeline.policies import SansIOHTTPPolicy

#: Per-call options the clients pass for create operations: never replay / safe to replay.
CREATE_ONCE = "identity_create_once"
REPEATABLE = "identity_repeatable"
NOT_PROCESSED_STATUSES = frozenset({429, 503})
REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-ms-content-sha256"})
_SECRET_FIELDS = frozenset({"token", "accesskey", "access_key"})
_MAX_LOGGED_BODY = 4096

_LOGGER = logging.getLogger("azure.communication.identity.network_trace")


class _CreateOnce:
    def configure_retries(self, options: dict) -> dict:
        settings = super().configure_retries(options)  # type: ignore[misc]
        settings[CREATE_ONCE] = bool(options.pop(CREATE_ONCE, False))
        if options.pop(REPEATABLE, False):
            settings["methods"] = frozenset(settings["methods"]) | {"POST"}
        return settings

    def is_retry(self, settings: dict, response: Any) -> bool:
        if settings.get(CREATE_ONCE) and response.http_response.status_code not in NOT_PROCESSED_STATUSES:
            return False
        return super().is_retry(settings, response)  # type: ignore[misc]


class RetryPolicy(_CreateOnce, _CoreRetryPolicy):
    pass


class AsyncRetryPolicy(_CreateOnce, _CoreAsyncRetryPolicy):
    pass


def redact_body(body: Any) -> str:
    """The body as text for a log line, with secret JSON fields replaced; non-JSON bodies are summarised."""
    if body is None or (isinstance(body, (bytes, bytearray, str)) and not body):
        return "(no body)"
    if isinstance(body, (bytes, bytearray)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(body)} bytes, not UTF-8)"
    elif isinstance(body, str):
        text = body
    else:
        return f"({type(body).__name__} body, not logged)"
    try:
        document = json.loads(text)
    except ValueError:
        return f"({len(text)} characters, not JSON, not logged)"
    return json.dumps(_redact(document))[:_MAX_LOGGED_BODY]


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in _SECRET_FIELDS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def redact_headers(headers: Any) -> str:
    return "".join(
        f"\n    {name!r}: {REDACTED if name.lower() in _SECRET_HEADERS else value!r}" for name, value in headers.items()
    )


class RedactingNetworkTraceLoggingPolicy(SansIOHTTPPolicy):
    """DEBUG trace of each request and response (``logging_enable=True``), without secrets."""

    def __init__(self, logging_enable: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self.enable_http_logger = logging_enable

    def on_request(self, request: Any) -> None:
        enabled = request.context.options.pop("logging_enable", self.enable_http_logger)
        request.context["logging_enable"] = enabled
        if not enabled or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        http_request = request.http_request
        body = http_request.body if hasattr(http_request, "body") else getattr(http_request, "content", None)
        _LOGGER.debug("Request URL: %r\nRequest method: %r\nRequest headers:%s\nRequest body: %s",
                      http_request.url, http_request.method, redact_headers(http_request.headers), redact_body(body))

    def on_response(self, request: Any, response: Any) -> None:
        if not response.context.get("logging_enable") or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        http_response = response.http_response
        try:
            body = http_response.body()
        except Exception:  # noqa: BLE001 - a streamed body is not read for logging
            body = None
        _LOGGER.debug("Response status: %r\nResponse headers:%s\nResponse body: %s", http_response.status_code,
                      redact_headers(http_response.headers), redact_body(body))
