"""Entra ID users (2025-03-02-preview): the assignments and the token exchange.

Assignments are made by the resource owner (HMAC or the resource's Azure AD token, checked by the
pipeline). An assignment covers one user, the members of a group, or every user of a tenant, and
names the client applications through which they may exchange tokens. The exchange is called with
the user's own Entra ID token as the bearer token, which this module checks: issued by the
development issuer (or a ``--trusted-issuer-jwks`` key), audience
``https://communication.azure.com/clients``, GUID ``tid``, ``oid`` and ``appid`` (or ``azp``), valid
by the server clock. A token is issued when an assignment covers the user and lists its client
application; otherwise 403 ``Forbidden``. Paging, merge-patch and the other choices the public
material leaves open are described in the emulator's README.
"""
from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import quote

from aiohttp import web

from .auth import user_token_claims
from .entra_store import GRANTS_CLAIM, EntraAssignment, Grant
from .errors import ApiError, entra_guid, shorten, unauthorized, validation
from .keys import KeyRing
from .store import Store
from .tokens import TokenIssuer
from .versions import ApiVersion
from .wire import empty_response, iso_utc, json_response, parse_object

AUDIENCES = frozenset({"https://communication.azure.com/clients", "https://communication.azure.com/clients/"})
PRINCIPAL_ENUM = "EntraPrincipalType"
MAX_CLIENT_IDS = 100
MAX_UPDATE_ENTRIES = 1000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MERGE_PATCH = "application/merge-patch+json"
SKIP_TOKEN = "skipToken"
LIST_PATH = "/access/entra/assignments"
#: What exchanged Entra ID user tokens may do (the newer documentation: calling and chat).
TOKEN_SCOPES = "chat,voip"


def not_found() -> ApiError:
    return ApiError(404, "AssignmentNotFound", "There is no Entra ID assignment for this object id.")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def principal_types(version: ApiVersion) -> Tuple[str, ...]:
    return tuple(version.enums.get(PRINCIPAL_ENUM, ()))


def assignment_grant(document: Any, object_id: str, version: ApiVersion, where: str = "") -> Grant:
    """The (tenant id, principal type, client ids) an assignment body sets, checked; ``where`` prefixes
    the error targets (a bulk update's object id)."""
    prefix = f"{where}." if where else ""
    if not isinstance(document, dict):
        raise validation(f"{where or 'The body'} must be an assignment object "
                         "(tenantId, principalType, clientIds)" + (" or null." if where else "."),
                         target=where or "body")
    tenant_id = entra_guid(document.get("tenantId"), prefix + "tenantId")
    principal_type = document.get("principalType")
    allowed = principal_types(version)
    if not isinstance(principal_type, str) or principal_type not in allowed:
        raise validation(f"principalType must be one of {', '.join(allowed)}.", target=prefix + "principalType")
    if principal_type == "tenant" and object_id != tenant_id:
        raise validation("A tenant assignment's object id is its tenant id; they differ here.",
                         target=where or "objectId")
    client_ids = document.get("clientIds")
    if not isinstance(client_ids, list) or not 1 <= len(client_ids) <= MAX_CLIENT_IDS:
        raise validation(f"clientIds must be an array of 1 to {MAX_CLIENT_IDS} Entra ID client ids.",
                         target=prefix + "clientIds")
    return tenant_id, principal_type, list(dict.fromkeys(entra_guid(item, prefix + "clientIds") for item in client_ids))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: ``patch`` applied to ``target`` (objects merge member by member, null removes)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def skip_token(object_id: str) -> str:
    return base64.urlsafe_b64encode(object_id.encode("ascii")).rstrip(b"=").decode("ascii")


def after_skip_token(token: str) -> str:
    """The object id a skip token continues after; 400 for one this emulator did not write."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        if str(uuid.UUID(text)) == text:
            return text
    except (binascii.Error, ValueError):
        pass
    raise validation(f"The {SKIP_TOKEN} is not one this service issued; follow the nextLink as returned.",
                     target=SKIP_TOKEN)


class EntraUsers:
    def __init__(self, store: Store, issuer: TokenIssuer, aad_keys: KeyRing, clock: Callable[[], float]) -> None:
        self.assignments = store.entra
        self.issuer = issuer
        self.aad_keys = aad_keys
        self.clock = clock
        #: Assignments per page of a listing (an admin setting, so tests can page through a few).
        self.page_size = DEFAULT_PAGE_SIZE

    # -- assignments ---------------------------------------------------------------------------------
    async def list_assignments(self, request: web.Request, version: ApiVersion, body: bytes,
                   params: Mapping[str, str]) -> web.Response:
        tokens = request.query.getall(SKIP_TOKEN, [])
        after = after_skip_token(tokens[0]) if tokens else None
        page, more = self.assignments.page(after, self.page_size)
        document: Dict[str, Any] = {"value": [assignment.document() for assignment in page]}
        if more:
            document["nextLink"] = (f"{request.scheme}://{request.host}{LIST_PATH}?api-version="
                                    f"{quote(version.name, safe='')}&{SKIP_TOKEN}={skip_token(page[-1].object_id)}")
        return json_response(request, 200, document)

    async def get(self, request: web.Request, version: ApiVersion, body: bytes,
                  params: Mapping[str, str]) -> web.Response:
        assignment = self.assignments.get(entra_guid(params["objectId"], "objectId"))
        if assignment is None:
            raise not_found()
        return json_response(request, 200, assignment.document())

    async def put(self, request: web.Request, version: ApiVersion, body: bytes,
                  params: Mapping[str, str]) -> web.Response:
        object_id = entra_guid(params["objectId"], "objectId")
        grant = assignment_grant(parse_object(body, required=True), object_id, version)
        assignment, created = self.assignments.put(object_id, grant)
        return json_response(request, 201 if created else 200, assignment.document())

    async def delete(self, request: web.Request, version: ApiVersion, body: bytes,
                     params: Mapping[str, str]) -> web.Response:
        if not self.assignments.delete(entra_guid(params["objectId"], "objectId")):
            raise not_found()
        return empty_response(request)

    async def update_assignments(self, request: web.Request, version: ApiVersion, body: bytes,
                     params: Mapping[str, str]) -> web.Response:
        media_type = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media_type != MERGE_PATCH:
            raise ApiError(415, "UnsupportedMediaType",
                           f"A bulk update is a JSON merge patch: send it as Content-Type {MERGE_PATCH}.",
                           target="Content-Type")
        document = parse_object(body, required=True)
        if len(document) > MAX_UPDATE_ENTRIES:
            raise validation(f"A bulk update changes at most {MAX_UPDATE_ENTRIES} assignments; this one has "
                             f"{len(document)}.", target="body")
        changes: Dict[str, Optional[Grant]] = {}
        for key, value in document.items():  # everything is checked before anything is written
            object_id = entra_guid(key, shorten(key))
            if object_id in changes:
                raise validation(f"The object id {shorten(key)} appears more than once.", target=shorten(key))
            if value is None:
                changes[object_id] = None
                continue
            existing = self.assignments.get(object_id)
            merged = merge_patch(self._request_document(existing), value)
            changes[object_id] = assignment_grant(merged, object_id, version, where=object_id)
        written = self.assignments.update(changes)
        if not written:
            return empty_response(request)
        return json_response(request, 200, {"value": [assignment.document() for assignment in written]})

    @staticmethod
    def _request_document(assignment: Optional[EntraAssignment]) -> Optional[Dict[str, Any]]:
        if assignment is None:
            return None
        document = assignment.document()
        del document["objectId"]
        return document

    # -- the exchange --------------------------------------------------------------------------------
    async def exchange(self, request: web.Request, version: ApiVersion, body: bytes,
                       params: Mapping[str, str]) -> web.Response:
        claims = self._user_claims(request.headers.get("Authorization"))
        parse_object(body, required=False)  # {} or nothing; further properties are not interpreted
        tenant_id, object_id, client_id = claims["tid"], claims["oid"], claims["client"]
        covering = self.assignments.covering(tenant_id, object_id, claims["groups"])
        if not covering:
            raise forbidden(f"No Entra ID assignment of this resource covers the user {object_id} of tenant "
                            f"{tenant_id}: none for the user, its groups in the token, or its tenant.")
        granting = [assignment for assignment in covering if client_id in assignment.client_ids]
        if not granting:
            raise forbidden(f"The client application {client_id} is not among the clientIds of the Entra ID "
                            "assignments that cover the user.")
        grants = [[assignment.object_id, assignment.generation] for assignment in granting]
        identity_id, token, expires = self.issuer.issue_for_assigned_user(
            f"wf_{tenant_id}_{object_id}", TOKEN_SCOPES, int(claims["exp"]), {GRANTS_CLAIM: grants})
        return json_response(request, 200, {"identity": {"id": identity_id},
                                            "accessToken": {"token": token, "expiresOn": iso_utc(expires)}})

    def _user_claims(self, authorization: Optional[str]) -> Dict[str, Any]:
        """The bearer token's claims, with ``tid``, ``oid``, ``client`` (appid or azp) as canonical GUIDs and
        ``groups`` as a set of them; 401 for a token that is not an Entra ID user's token for this exchange."""
        claims = user_token_claims(self.aad_keys, authorization, AUDIENCES, self.clock(),
                                   "the Entra ID user's access token")
        for name, sources in (("tid", ("tid",)), ("oid", ("oid",)), ("client", ("appid", "azp"))):
            value = next((claims[source] for source in sources if source in claims), None)
            try:
                claims[name] = str(uuid.UUID(value if isinstance(value, str) else ""))
            except ValueError:
                what = "appid (or azp)" if name == "client" else name
                raise unauthorized("InvalidAccessToken",
                                   f"Provided access token is not valid: its {what} claim is not a GUID.") from None
        groups = claims.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            raise unauthorized("InvalidAccessToken",
                               "Provided access token is not valid: its groups claim is not an array of ids.")
        claims["groups"] = {str(uuid.UUID(group)) for group in groups if _isentra_guid(group)}
        return claims


def _isentra_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
