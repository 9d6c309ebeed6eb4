"""The Identity operations, with each api-version's rules (from the version table)."""
from __future__ import annotations

import re
import time
import uuid
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

from .auth import verify_aad_token
from .entra import EntraUsers
from .errors import ApiError, shorten, unauthorized, validation
from .keys import KeyRing
from .repeatability import Repeatability
from .store import Identity, Store
from .teams_extension import AUDIENCES as TEAMS_AUDIENCES
from .teams_extension import TeamsExtension
from .tokens import TokenIssuer
from .versions import VERSIONS, ApiVersion, versions_with_field, versions_with_scope
from .wire import empty_response, is_int, iso_utc, json_response, parse_object

TEAMS_PERMISSIONS = frozenset({"Teams.ManageCalls", "Teams.ManageChats"})
_USER_ID = re.compile(r"8:acs:[0-9a-fA-F-]{36}_[A-Za-z0-9._:-]{1,128}")  # used with fullmatch
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Body fields each operation has in some version: a field the requested version lacks is refused.
_VERSIONED_FIELDS = {
    operation: sorted({name for version in VERSIONS.values() for name in version.body_fields(operation)})
    for operation in ("create", "issueAccessToken")
}


def _reject_unsupported_fields(document: Dict[str, Any], version: ApiVersion, operation: str) -> None:
    for name in _VERSIONED_FIELDS[operation]:
        if name in document and version.field(operation, name) is None:
            raise validation(
                f"The field '{name}' is not supported in api-version {version.name}; "
                f"it is available in api-version {versions_with_field(operation, name)}.",
                target=name,
            )


def _scopes(value: Any, version: ApiVersion, target: str) -> List[str]:
    if value is None:
        raise validation(f"The {target} field is required.", target=target)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise validation(f"The {target} field must be an array of strings.", target=target)
    if not value:
        raise validation(f"The {target} field must contain at least one scope.", target=target)
    scopes: List[str] = []
    for scope in value:
        if scope not in version.scopes:
            newer = versions_with_scope(scope)
            hint = (f" It is available in api-version {newer}." if newer else
                    f" Valid scopes: {', '.join(sorted(version.scopes))}.")
            raise validation(f"The scope '{shorten(scope)}' is not valid in api-version {version.name}.{hint}",
                             target=target)
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def _minutes(document: Dict[str, Any], default: int, version: ApiVersion, operation: str) -> int:
    if "expiresInMinutes" not in document or document["expiresInMinutes"] is None:
        return default
    value = document["expiresInMinutes"]
    if not is_int(value):
        raise validation("ExpiresInMinutes must be an integer.", target="ExpiresInMinutes")
    field = version.field(operation, "expiresInMinutes") or {}
    low, high = field.get("minimum", value), field.get("maximum", value)
    if not low <= value <= high:
        raise validation(
            f"ExpiresInMinutes value {value} is invalid. Value must be within the [{low}, {high}] interval.",
            target="ExpiresInMinutes",
        )
    return value


def _check_custom_id(custom_id: Any, version: ApiVersion) -> None:
    field = version.field("create", "customId") or {}
    shortest, longest = field.get("minLength", 1), field.get("maxLength")
    if not isinstance(custom_id, str) or len(custom_id) < max(shortest, 1):
        raise validation("customId must be a non-empty string.", target="customId")
    if longest is not None and len(custom_id) > longest:
        raise validation(f"customId must be at most {longest} characters long.", target="customId")
    try:
        custom_id.encode("utf-8")  # a lone surrogate (JSON "\ud800") cannot be stored
    except UnicodeEncodeError as exc:
        raise validation("customId must be valid Unicode text.", target="customId") from exc
    if _CONTROL_CHARACTER.search(custom_id):
        raise validation("customId must not contain control characters.", target="customId")


def not_found() -> ApiError:
    return ApiError(404, "IdentityNotFound", "The identity does not exist or has been deleted.")


class IdentityService:
    def __init__(self, store: Store, issuer: TokenIssuer, aad_keys: KeyRing, default_minutes: int, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.issuer = issuer
        self.aad_keys = aad_keys
        self.default_minutes = default_minutes
        self.clock = clock
        self.repeatability = Repeatability(store, clock)
        self.teams_extension = TeamsExtension(store, issuer, aad_keys, clock)
        self.entra = EntraUsers(store, issuer, aad_keys, clock)

    def _live_identity(self, identity_id: str) -> Identity:
        if not _USER_ID.fullmatch(identity_id):
            raise validation(
                f"'{shorten(identity_id)}' is not a Communication Services user id (8:acs:<resource>_<suffix>).",
                target="id",
            )
        identity = self.store.get(identity_id)
        if identity is None or identity.deleted:
            raise not_found()
        return identity

    def _token_document(self, identity: Identity, scopes: List[str], minutes: int) -> Dict[str, str]:
        token, expires = self.issuer.issue(identity, scopes, minutes)
        self.store.note_token_issued(identity, time.time())
        return {"token": token, "expiresOn": iso_utc(expires)}

    def _identity_document(self, identity: Identity, version: ApiVersion) -> Dict[str, Any]:
        document: Dict[str, Any] = {"id": identity.id}
        if identity.custom_id is not None and version.field("create", "customId") is not None:
            document["customId"] = identity.custom_id
        return document

    async def create(self, request: web.Request, version: ApiVersion, body: bytes) -> web.Response:
        document = parse_object(body, required=False)
        repeat = self.repeatability.check(request.headers, version, document)
        if repeat is not None and repeat.earlier is not None:
            return repeat.replay(request)
        _reject_unsupported_fields(document, version, "create")
        scopes: Optional[List[str]] = None
        if document.get("createTokenWithScopes") is not None:
            raw = document["createTokenWithScopes"]
            # An empty list asks for no token, as omitting the field does.
            if raw != []:
                scopes = _scopes(raw, version, "createTokenWithScopes")
        minutes = _minutes(document, self.default_minutes, version, "create")
        custom_id = document.get("customId")
        if custom_id is not None:
            _check_custom_id(custom_id, version)
        identity_id = f"8:acs:{self.issuer.resource_id}_{uuid.uuid4()}"
        # The identity and the answer its repeats will get are committed together.
        with self.store.transaction():
            identity, _ = self.store.create(identity_id, custom_id)
            result: Dict[str, Any] = {"identity": self._identity_document(identity, version)}
            if scopes is not None:
                result["accessToken"] = self._token_document(identity, scopes, minutes)
            if repeat is not None:
                repeat.remember(201, result)
        return json_response(request, 201, result, headers=repeat.headers if repeat is not None else None)

    async def issue(self, request: web.Request, version: ApiVersion, body: bytes, identity_id: str) -> web.Response:
        document = parse_object(body, required=True)
        _reject_unsupported_fields(document, version, "issueAccessToken")
        scopes = _scopes(document.get("scopes"), version, "scopes")
        minutes = _minutes(document, self.default_minutes, version, "issueAccessToken")
        identity = self._live_identity(identity_id)
        return json_response(request, 200, self._token_document(identity, scopes, minutes))

    async def revoke(self, request: web.Request, version: ApiVersion, body: bytes, identity_id: str) -> web.Response:
        self.store.revoke(self._live_identity(identity_id))
        return empty_response(request)

    async def delete(self, request: web.Request, version: ApiVersion, body: bytes, identity_id: str) -> web.Response:
        self.store.delete(self._live_identity(identity_id))
        return empty_response(request)

    async def get(self, request: web.Request, version: ApiVersion, body: bytes, identity_id: str) -> web.Response:
        identity = self._live_identity(identity_id)
        document = self._identity_document(identity, version)
        if identity.last_token_issued_at is not None:
            document["lastTokenIssuedAt"] = iso_utc(identity.last_token_issued_at)
        return json_response(request, 200, document)

    async def exchange_teams_token(self, request: web.Request, version: ApiVersion, body: bytes) -> web.Response:
        document = parse_object(body, required=True)
        # The token is checked first, as the service does: an empty or malformed token is a 401
        # InvalidAccessToken whatever appId and userId say.
        token = document.get("token")
        if token is not None and not isinstance(token, str):
            raise validation("The token field must be a string.", target="token")
        claims = self._verified_teams_claims(token or "")
        for name in ("appId", "userId"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise validation(f"The {name} field is required and must be a non-empty string.", target=name)
        app_id = claims.get("appid", claims.get("azp"))
        if app_id != document["appId"]:
            raise validation("The appId does not match the appid claim of the Azure AD token.", target="appId")
        if claims.get("oid") != document["userId"]:
            raise validation("The userId does not match the oid claim of the Azure AD token.", target="userId")
        token, expires = self.issuer.issue_for_teams_user(document["userId"], int(claims["exp"]))
        return json_response(request, 200, {"token": token, "expiresOn": iso_utc(expires)})

    def _verified_teams_claims(self, token: str) -> Dict[str, Any]:
        claims = verify_aad_token(self.aad_keys, token, TEAMS_AUDIENCES, self.clock())
        granted = claims.get("scp")
        if not isinstance(granted, str) or not TEAMS_PERMISSIONS.intersection(granted.split()):
            raise unauthorized(
                "InvalidAccessToken",
                "Provided access token is not valid: it lacks the Teams.ManageCalls and Teams.ManageChats "
                "permissions.",
            )
        return claims
