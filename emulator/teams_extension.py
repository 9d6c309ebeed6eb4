"""Teams Phone extensibility: the assignments and the token exchange.

Assignments are made by the resource owner (HMAC or the resource's Azure AD token, checked by the
pipeline). The exchange is called with the Teams Phone user's own Entra ID token as the bearer
token, which this module checks: issued by the development issuer (or a ``--trusted-issuer-jwks``
key), audience ``https://auth.msft.communication.azure.com``, ``scp`` with
``TeamsExtension.ManageCalls``, valid by the server clock. The user then needs an assignment for its
``tid`` and ``oid`` in this resource, and when the assignment lists ``clientIds``, the token's
``appid`` (or ``azp``) must be one of them; otherwise 403 ``Forbidden``.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional

from aiohttp import web

from .auth import user_token_claims
from .errors import ApiError, entra_guid, shorten, unauthorized, validation
from .keys import KeyRing
from .store import Assignment, Store
from .tokens import TokenIssuer
from .versions import ApiVersion
from .wire import empty_response, iso_utc, json_response, parse_object

AUDIENCES = frozenset({"https://auth.msft.communication.azure.com", "https://auth.msft.communication.azure.com/"})
PERMISSION = "TeamsExtension.ManageCalls"
PRINCIPAL_ENUM = "TeamsExtensionPrincipalType"
#: One documentation page spells the resource-account type this way; accepted and returned as sent.
PRINCIPAL_ALIASES = frozenset({"teamsResourceAccount"})
MAX_CLIENT_IDS = 100


def not_found() -> ApiError:
    return ApiError(404, "AssignmentNotFound", "There is no Teams Phone extensibility assignment for this principal "
                    "in this tenant.")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def assignment_document(assignment: Assignment) -> Dict[str, Any]:
    document: Dict[str, Any] = {"objectId": assignment.object_id, "tenantId": assignment.tenant_id,
                                "principalType": assignment.principal_type}
    if assignment.client_ids is not None:
        document["clientIds"] = assignment.client_ids
    return document


class TeamsExtension:
    def __init__(self, store: Store, issuer: TokenIssuer, aad_keys: KeyRing, clock: Callable[[], float]) -> None:
        self.store = store
        self.issuer = issuer
        self.aad_keys = aad_keys
        self.clock = clock

    @staticmethod
    def _principal(params: Mapping[str, str]) -> tuple:
        return entra_guid(params["tenantId"], "tenantId"), entra_guid(params["objectId"], "objectId")

    async def get(self, request: web.Request, version: ApiVersion, body: bytes,
                  params: Mapping[str, str]) -> web.Response:
        assignment = self.store.get_assignment(*self._principal(params))
        if assignment is None:
            raise not_found()
        return json_response(request, 200, assignment_document(assignment))

    async def put(self, request: web.Request, version: ApiVersion, body: bytes,
                  params: Mapping[str, str]) -> web.Response:
        tenant_id, object_id = self._principal(params)
        document = parse_object(body, required=True)
        principal_type = document.get("principalType")
        allowed = set(version.enums.get(PRINCIPAL_ENUM, ())) | PRINCIPAL_ALIASES
        if not isinstance(principal_type, str) or principal_type not in allowed:
            raise validation(f"principalType must be one of {', '.join(sorted(allowed))}.", target="principalType")
        client_ids = self._client_ids(document.get("clientIds"))
        assignment, created = self.store.put_assignment(tenant_id, object_id, principal_type, client_ids)
        return json_response(request, 201 if created else 200, assignment_document(assignment))

    @staticmethod
    def _client_ids(value: Any) -> Optional[List[str]]:
        if value is None:
            return None
        if not isinstance(value, list) or not value or len(value) > MAX_CLIENT_IDS:
            raise validation(f"clientIds must be an array of 1 to {MAX_CLIENT_IDS} Entra ID client ids, or be left "
                             "out.", target="clientIds")
        return list(dict.fromkeys(entra_guid(item, "clientIds") for item in value))

    async def delete(self, request: web.Request, version: ApiVersion, body: bytes,
                     params: Mapping[str, str]) -> web.Response:
        if not self.store.delete_assignment(*self._principal(params)):
            raise not_found()
        return empty_response(request)

    async def exchange(self, request: web.Request, version: ApiVersion, body: bytes,
                       params: Mapping[str, str]) -> web.Response:
        claims = self._user_claims(request.headers.get("Authorization"))
        parse_object(body, required=False)  # {} or nothing; further properties are not interpreted
        tenant_id, object_id = claims["tid"], claims["oid"]
        assignment = self.store.get_assignment(tenant_id, object_id)
        if assignment is None:
            raise forbidden(f"The Teams Phone user {object_id} of tenant {tenant_id} has no Teams Phone extensibility "
                            "assignment in this resource.")
        client_id = claims.get("appid", claims.get("azp"))
        if assignment.client_ids is not None and str(client_id).lower() not in assignment.client_ids:
            raise forbidden(f"The client application {shorten(str(client_id))} is not among the clientIds of the "
                            "user's Teams Phone extensibility assignment.")
        identity_id, token, expires = self.issuer.issue_for_teams_extension_user(assignment, int(claims["exp"]))
        return json_response(request, 200, {"identity": {"id": identity_id},
                                            "accessToken": {"token": token, "expiresOn": iso_utc(expires)}})

    def _user_claims(self, authorization: Optional[str]) -> Dict[str, Any]:
        claims = user_token_claims(self.aad_keys, authorization, AUDIENCES, self.clock(),
                                   "the Teams Phone user's Entra ID access token")
        granted = claims.get("scp")
        if not isinstance(granted, str) or PERMISSION not in granted.split():
            raise unauthorized("InvalidAccessToken",
                               f"Provided access token is not valid: it lacks the {PERMISSION} permission.")
        for name in ("tid", "oid"):
            try:
                claims[name] = str(uuid.UUID(str(claims.get(name))))
            except ValueError:
                raise unauthorized("InvalidAccessToken",
                                   f"Provided access token is not valid: its {name} claim is not a GUID.") from None
        return claims
