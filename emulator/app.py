"""The aiohttp application: routing, the request pipeline (version, faults, auth) and error mapping."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Dict, Optional
from urllib.parse import unquote

from aiohttp import web

from .admin import Admin
from .auth import Authenticator
from .clock import ServerClock
from .errors import ApiError, shorten
from .faults import Fault, FaultQueue, error_body
from .operations import IdentityService
from .versions import VERSIONS, ApiVersion, route, versions_with_operation
from .wire import (
    BODY_TIMEOUT,
    DEFAULT_CLIENT_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    error_response,
    raw_response,
    read_body,
)

log = logging.getLogger("acs_identity_emulator")

_ADMIN_PREFIX = "/emulator/"
# Operations authenticated by the resource's key or Azure AD token (the swagger's azure_auth); the others
# (the Teams-extension and Entra ID exchanges) check the caller's own bearer token in their handler.
RESOURCE_AUTH = "azure_auth"
_AUTHORITY_PREFIX = "/adfs/"  # the development authority (identity_provider.py), behind the admin gate


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


Handler = Callable[[web.Request, ApiVersion, bytes, Dict[str, str]], Awaitable[web.Response]]


class Pipeline:
    def __init__(self, service: IdentityService, auth: Authenticator, faults: FaultQueue, admin: Admin) -> None:
        self.service = service
        self.auth = auth
        self.faults = faults
        self.admin = admin
        teams = service.teams_extension
        entra = service.entra
        # The version table names every operation any version has; these are the ones the emulator serves.
        self._handlers: Dict[str, Handler] = {
            "create": lambda r, v, b, p: service.create(r, v, b),
            "delete": lambda r, v, b, p: service.delete(r, v, b, p["id"]),
            "get": lambda r, v, b, p: service.get(r, v, b, p["id"]),
            "issueAccessToken": lambda r, v, b, p: service.issue(r, v, b, p["id"]),
            "revokeAccessTokens": lambda r, v, b, p: service.revoke(r, v, b, p["id"]),
            "exchangeTeamsUserAccessToken": lambda r, v, b, p: service.exchange_teams_token(r, v, b),
            "teamsExtensionExchangeAccessToken": teams.exchange,
            "teamsExtensionGetAssignment": teams.get,
            "teamsExtensionCreateOrReplaceAssignment": teams.put,
            "teamsExtensionDeleteAssignment": teams.delete,
            "entraUsersExchangeAccessToken": entra.exchange,
            "entraUsersListAssignments": entra.list_assignments,
            "entraUsersUpdateAssignments": entra.update_assignments,
            "entraUsersGetAssignment": entra.get,
            "entraUsersCreateOrReplaceAssignment": entra.put,
            "entraUsersDeleteAssignment": entra.delete,
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
        if path.startswith(_AUTHORITY_PREFIX):
            return await self.admin.authority(request, path[len(_AUTHORITY_PREFIX):])
        methods, params = route(path)
        if methods is None:
            raise ApiError(404, "NotFound", "The requested resource does not exist.")
        name = methods.get(request.method)
        if name is None:
            raise ApiError(405, "MethodNotAllowed", f"The method {shorten(request.method, 16)} is not allowed here.",
                           headers={"Allow": ", ".join(sorted(methods))})
        version = _version(request)
        if not version.has(name):
            raise ApiError(400, "UnsupportedApiVersion",
                           f"The operation {name} is not available in api-version {version.name}; "
                           f"it is available in api-version {versions_with_operation(name)}.")
        handler = self._handlers.get(name)
        if handler is None:
            raise ApiError(501, "NotImplemented", f"The emulator does not serve the operation {name} yet.")
        fault = self.faults.take(name)
        if fault is not None and not fault.after_processing:
            await self._delay(fault)
            if fault.drop or fault.status is not None:
                return self._apply_fault(request, fault)
            # A delay-only fault: on to the normal processing.
        body = await read_body(request)
        if RESOURCE_AUTH in version.security(name):
            self.auth.check(request.method, request.raw_path, request.headers, body)
        response = await handler(request, version, body, params)
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
