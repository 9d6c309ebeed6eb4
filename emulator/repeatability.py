"""Repeatable creates (api-versions whose create declares Repeatability-Request-ID: 2023-08-01).

The convention is the OASIS Repeatable Requests 1.0 one, as Azure Communication Services documents
it for its other services: the client sends ``Repeatability-Request-ID`` (a UUID) and
``Repeatability-First-Sent`` (IMF-fixdate) and sends both unchanged when it repeats the request.

* A request id not seen within the retention window is processed normally and its answer kept;
  the response carries ``Repeatability-Result: accepted``.
* The same request id with the same request (body and first-sent date) within the window gets the
  kept answer again, status and body (the first identity, and its token when one was issued), with
  ``Repeatability-Result: accepted``; nothing is created.
* The same request id with a different request: 400 ``ValidationError`` (target
  ``Repeatability-Request-ID``), ``Repeatability-Result: rejected``.
* A first-sent date older than the retention window: 412 ``PreconditionFailed``, rejected (the
  service can no longer tell whether the request ran). One more than the allowed clock skew in the
  future, a malformed header, or one header without the other: 400 ``ValidationError``, rejected.

Only answers that created an identity are kept; a refused create (a 400, say) is checked afresh
when repeated, and gives the same refusal.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Mapping, Optional

from aiohttp import web

from .errors import ApiError, shorten, validation
from .store import RepeatableResult, Store
from .versions import ApiVersion
from .wire import json_response

REQUEST_ID = "Repeatability-Request-ID"
FIRST_SENT = "Repeatability-First-Sent"
RESULT = "Repeatability-Result"
#: How long a request id is remembered, counted from its first-sent date (the ACS services' 5 minutes).
RETENTION_SECONDS = 5 * 60
#: How far in the future a first-sent date may be (the clock skew signed requests are allowed).
MAX_FUTURE_SECONDS = 15 * 60
_REJECTED = {RESULT: "rejected"}


def _rejected(error: ApiError) -> ApiError:
    error.headers.update(_REJECTED)
    return error


class Repeat:
    """One repeatable request: whether it was seen before, and how to keep its answer."""

    headers = {RESULT: "accepted"}

    def __init__(self, store: Store, request_id: str, fingerprint: str, first_sent: float,
                 earlier: Optional[RepeatableResult]) -> None:
        self._store = store
        self.request_id = request_id
        self.fingerprint = fingerprint
        self.first_sent = first_sent
        self.earlier = earlier

    def replay(self, request: web.Request) -> web.Response:
        assert self.earlier is not None
        return json_response(request, self.earlier.status, json.loads(self.earlier.body), headers=self.headers)

    def remember(self, status: int, document: Any) -> None:
        result = RepeatableResult(self.fingerprint, self.first_sent, status, json.dumps(document))
        self._store.remember_repeatable(self.request_id, result, self.first_sent - RETENTION_SECONDS)


class Repeatability:
    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    def check(self, headers: Mapping[str, str], version: ApiVersion, document: Dict[str, Any]) -> Optional[Repeat]:
        """None for a request that is not repeatable (or a version without the headers); ApiError when refused."""
        if version.header("create", REQUEST_ID) is None:
            return None
        request_id, first_sent = headers.get(REQUEST_ID), headers.get(FIRST_SENT)
        if request_id is None and first_sent is None:
            return None
        if request_id is None or first_sent is None:
            missing, sent = (REQUEST_ID, FIRST_SENT) if request_id is None else (FIRST_SENT, REQUEST_ID)
            raise _rejected(validation(f"{missing} is required with {sent}.", target=missing))
        try:
            canonical_id = str(uuid.UUID(request_id.strip()))
        except ValueError:
            raise _rejected(validation(f"{REQUEST_ID} must be a UUID; got '{shorten(request_id)}'.",
                                       target=REQUEST_ID)) from None
        sent = _imf_fixdate(first_sent)
        now = self.clock()
        if sent > now + MAX_FUTURE_SECONDS:
            raise _rejected(validation(f"{FIRST_SENT} is in the future.", target=FIRST_SENT))
        if sent < now - RETENTION_SECONDS:
            raise _rejected(ApiError(
                412, "PreconditionFailed",
                f"{FIRST_SENT} is more than {RETENTION_SECONDS // 60} minutes ago; the request can no longer be "
                "repeated safely. Send it as a new request (a new request id and date).", target=FIRST_SENT))
        fingerprint = hashlib.sha256(json.dumps([first_sent.strip(), document], sort_keys=True).encode()).hexdigest()
        earlier = self.store.repeatable_result(canonical_id)
        if earlier is not None and earlier.first_sent < now - RETENTION_SECONDS:
            earlier = None  # forgotten: older than the window (not yet pruned)
        if earlier is not None and earlier.fingerprint != fingerprint:
            raise _rejected(validation(
                f"{REQUEST_ID} {canonical_id} was already used for a different request; a repeat must carry the "
                f"same body and {FIRST_SENT}.", target=REQUEST_ID))
        return Repeat(self.store, canonical_id, fingerprint, sent, earlier)


def _imf_fixdate(value: str) -> float:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None or parsed.tzinfo is None or not value.rstrip().endswith("GMT"):
        raise _rejected(validation(
            f"{FIRST_SENT} must be an IMF-fixdate such as 'Sun, 10 Sep 2023 20:39:30 GMT'; got '{shorten(value)}'.",
            target=FIRST_SENT))
    return parsed.timestamp()
