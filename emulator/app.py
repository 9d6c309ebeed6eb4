"""The aiohttp application: routing, the request pipeline (version, faults, auth) and error mapping."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote

from aiohttp import web

from .admin import Admin
from .auth import Authenticator
from .clock import ServerClock
from .errors import ApiError, shorten
from .faults import Fault, FaultQueue, error_body
from .operations import IdentityService
from .versions import VERSIONS, ApiVersion, first_version_with
from .wire import (
    BODY_TIMEOUT,
    DEFAULT_CLIENT_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    error_response,
    raw_response,
    read_body,
)

log = logging.getLogger("acs_identity_emulator")

# (route kind, method) -> (operation name, ApiVersion flag the operation needs or None)
_OPERATIONS: Dict[Tuple[str, str], Tuple[str, Optional[str]]] = {
    ("identities", "POST"): ("create", None),
    ("identity", "DELETE"): ("delete", None),
    ("identity", "GET"): ("get", "get_identity"),
    ("issue", "POST"): ("issueAccessToken", None),
    ("revoke", "POST"): ("revokeAccessTokens", None),
    ("teams", "POST"): ("exchangeTeamsUserAccessToken", "teams_exchange"),
    ("entraExchange", "POST"): ("entraUsersExchangeAccessToken", "entra_users"),
    ("entraAssignments", "GET"): ("entraUsersListAssignments", "entra_users"),
    ("entraAssignments", "PATCH"): ("entraUsersUpdateAssignments", "entra_users"),
    ("entraAssignment", "GET"): ("entraUsersGetAssignment", "entra_users"),
    ("entraAssignment", "PUT"): ("entraUsersCreateOrReplaceAssignment", "entra_users"),
    ("entraAssignment", "DELETE"): ("entraUsersDeleteAssignment", "entra_users"),
}
# Operations whose caller is a user with its own bearer token, checked by the handler, not the resource owner.
_USER_AUTHENTICATED = frozenset({"entraUsersExchangeAccessToken"})
_ADMIN_PREFIX = "/emulator/"
_ACTIONS = {":issueaccesstoken": "issue", ":revokeaccesstokens": "revoke"}


def route(path: str) -> Tuple[Optional[str], Optional[str]]:
    """(route kind, decoded identity id) for a raw path; (None, None) when nothing lives there.

    The raw path is split before percent-decoding so an id containing an encoded '/' stays one
    segment and cannot address another resource.
    """
    segments = path.split("/")
    if len(segments) < 2 or segments[0] != "":
        return None, None
    parts = [unquote(segment) for segment in segments[1:]]
    head = parts[0].lower()
    if head == "identities":
        if len(parts) == 1:
            return "identities", None
        if not parts[1]:
            return None, None
        if len(parts) == 2:
            return "identity", parts[1]
        if len(parts) == 3 and parts[2].lower() in _ACTIONS:
            return _ACTIONS[parts[2].lower()], parts[1]
    elif head == "teamsuser" and len(parts) == 2 and parts[1].lower() == ":exchangeaccesstoken":
        return "teams", None
    elif head == "access" and len(parts) >= 3 and parts[1].lower() == "entra":
        return _entra_route(parts[2:])
    return None, None


def _entra_route(parts: List[str]) -> Tuple[Optional[str], Optional[str]]:
    """(route kind, object id) under /access/entra/."""
    if len(parts) == 1 and parts[0].lower() == ":exchangeaccesstoken":
        return "entraExchange", None
    if parts[0].lower() == "assignments":
        if len(parts) == 1:
            return "entraAssignments", None
        if len(parts) == 2 and parts[1]:
            return "entraAssignment", parts[1]
    return None, None


def is_admin_path(path: str) -> bool:
    """Whether a raw path belongs to the admin surface, however its first segment is spelt.

    Every spelling (``/emulator``, ``/EMULATOR/x``, ``/%65mulator/x``) goes through the admin
    gate, so the loopback check cannot be sidestepped by encoding.
    """
    first = path.split("/", 2)[1] if path.startswith("/") else ""
    return unquote(first).lower() == "emulator"


def _version(request: web.Request) -> ApiVersion:
    values = request.query.getall("api-version", [])
    if not values or not values[0]:
        raise ApiError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    version = VERSIONS.get(values[0])
    if version is None:
        raise ApiError(400, "UnsupportedApiVersion",
                       f"The api-version '{shorten(values[0])}' is not supported. "
                       f"Supported versions: {', '.join(VERSIONS)}.")
    return version


class Pipeline:
    def __init__(self, service: IdentityService, auth: Authenticator, faults: FaultQueue, admin: Admin) -> None:
        self.service = service
        self.auth = auth
        self.faults = faults
        self.admin = admin
        entra = service.entra
        self._handlers: Dict[str, Callable[..., Awaitable[web.Response]]] = {
            "create": lambda r, v, b, i: service.create(r, v, b),
            "delete": service.delete,
            "get": service.get,
            "issueAccessToken": service.issue,
            "revokeAccessTokens": service.revoke,
            "exchangeTeamsUserAccessToken": lambda r, v, b, i: service.exchange_teams_token(r, v, b),
            "entraUsersExchangeAccessToken": lambda r, v, b, i: entra.exchange(r, v, b, {}),
            "entraUsersListAssignments": lambda r, v, b, i: entra.list_assignments(r, v, b, {}),
            "entraUsersUpdateAssignments": lambda r, v, b, i: entra.update_assignments(r, v, b, {}),
            "entraUsersGetAssignment": lambda r, v, b, i: entra.get(r, v, b, {"objectId": i}),
            "entraUsersCreateOrReplaceAssignment": lambda r, v, b, i: entra.put(r, v, b, {"objectId": i}),
            "entraUsersDeleteAssignment": lambda r, v, b, i: entra.delete(r, v, b, {"objectId": i}),
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._dispatch(request)
        except ApiError as error:
            return error_response(request, error)
        except web.HTTPException as exc:
            return error_response(request, ApiError(exc.status, exc.reason.replace(" ", ""), exc.reason))
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            log.exception("unexpected error while handling %s", request.method)
            return error_response(request, ApiError(500, "InternalServerError", "The emulator failed unexpectedly."))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.split("?", 1)[0]
        if is_admin_path(path):
            exact = path.startswith(_ADMIN_PREFIX)
            return await self.admin.handle(request, path[len(_ADMIN_PREFIX):] if exact else None)
        kind, identity_id = route(path)
        if kind is None:
            raise ApiError(404, "NotFound", "The requested resource does not exist.")
        operation = _OPERATIONS.get((kind, request.method))
        if operation is None:
            allowed = ", ".join(method for (k, method) in _OPERATIONS if k == kind)
            raise ApiError(405, "MethodNotAllowed", f"The method {shorten(request.method, 16)} is not allowed here.",
                           headers={"Allow": allowed})
        name, feature = operation
        version = _version(request)
        if feature is not None and not getattr(version, feature):
            raise ApiError(400, "UnsupportedApiVersion",
                           f"The operation {name} is not available in api-version {version.name}; "
                           f"it requires {first_version_with(feature)} or later.")
        fault = self.faults.take(name)
        if fault is not None and not fault.after_processing:
            await self._delay(fault)
            if fault.drop or fault.status is not None:
                return self._apply_fault(request, fault)
            # A delay-only fault: on to the normal processing.
        body = await read_body(request)
        if name not in _USER_AUTHENTICATED:
            self.auth.check(request.method, request.raw_path, request.headers, body)
        response = await self._handlers[name](request, version, body, identity_id)
        if fault is not None and fault.after_processing:
            await self._delay(fault)
            return self._apply_fault(request, fault, processed=response)
        return response

    @staticmethod
    async def _delay(fault: Fault) -> None:
        log.info("injecting fault: status=%s drop=%s delay=%s", fault.status, fault.drop, fault.delay_seconds)
        if fault.delay_seconds:
            await asyncio.sleep(fault.delay_seconds)

    @staticmethod
    def _apply_fault(request: web.Request, fault: Fault,
                     processed: Optional[web.Response] = None) -> web.StreamResponse:
        """The answer a status or drop fault gives instead of ``processed`` (the real one, if any)."""
        if fault.drop:
            transport = request.transport
            if transport is not None:
                transport.abort()
            # aiohttp discards a response for an aborted transport; nothing reaches the client.
            return web.Response(status=204)
        if fault.status is not None:
            return raw_response(request, fault.status, error_body(fault), fault.headers)
        assert processed is not None  # a fault without status or drop only delays
        return processed


def build_app(pipeline: Pipeline, clock: Optional[ServerClock] = None, *,
              client_timeout: float = DEFAULT_CLIENT_TIMEOUT_SECONDS) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[BODY_TIMEOUT] = float(client_timeout)
    # [\s\S], not ".": a decoded path may contain a newline (%0A) and must still reach the handler.
    app.router.add_route("*", r"/{tail:[\s\S]*}", pipeline.handle)
    if clock is not None:
        async def date_from_server_clock(request: web.Request, response: web.StreamResponse) -> None:
            if clock.offset_seconds:
                response.headers["Date"] = clock.http_date()

        app.on_response_prepare.append(date_from_server_clock)
    return app
