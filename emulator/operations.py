"""The Identity operations, with each api-version's rules."""
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
from .store import Identity, Store
from .tokens import TokenIssuer
from .versions import ApiVersion, first_version_with, first_version_with_scope
from .wire import empty_response, is_int, iso_utc, json_response, parse_object

MIN_MINUTES, MAX_MINUTES = 60, 1440
MAX_CUSTOM_ID = 256
TEAMS_AUDIENCES = frozenset({"https://auth.msft.communication.azure.com", "https://auth.msft.communication.azure.com/"})
TEAMS_PERMISSIONS = frozenset({"Teams.ManageCalls", "Teams.ManageChats"})
_USER_ID = re.compile(r"8:acs:[0-9a-fA-F-]{36}_[A-Za-z0-9._:-]{1,128}")  # used with fullmatch
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Body fields that only some versions know, and the ApiVersion flag that enables each.
_VERSIONED_FIELDS = {"expiresInMinutes": "expires_in_minutes", "customId": "custom_id"}


def _reject_unsupported_fields(document: Dict[str, Any], version: ApiVersion) -> None:
    for name, flag in _VERSIONED_FIELDS.items():
        if name in document and not getattr(version, flag):
            raise validation(
                f"The field '{name}' is not supported in api-version {version.name}; "
                f"it requires {first_version_with(flag)} or later.",
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
            newer = first_version_with_scope(scope)
            hint = (f" It requires api-version {newer} or later." if newer else
                    f" Valid scopes: {', '.join(sorted(version.scopes))}.")
            raise validation(f"The scope '{shorten(scope)}' is not valid in api-version {version.name}.{hint}",
                             target=target)
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def _minutes(document: Dict[str, Any], default: int) -> int:
    if "expiresInMinutes" not in document or document["expiresInMinutes"] is None:
        return default
    value = document["expiresInMinutes"]
    if not is_int(value):
        raise validation("ExpiresInMinutes must be an integer.", target="ExpiresInMinutes")
    if not MIN_MINUTES <= value <= MAX_MINUTES:
        raise validation(
            f"ExpiresInMinutes value {value} is invalid. "
            f"Value must be within the [{MIN_MINUTES}, {MAX_MINUTES}] interval.",
            target="ExpiresInMinutes",
        )
    return value


def _check_custom_id(custom_id: Any) -> None:
    if not isinstance(custom_id, str) or not custom_id:
        raise validation("customId must be a non-empty string.", target="customId")
    if len(custom_id) > MAX_CUSTOM_ID:
        raise validation(f"customId must be at most {MAX_CUSTOM_ID} characters long.", target="customId")
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
        if version.custom_id and identity.custom_id is not None:
            document["customId"] = identity.custom_id
        return document

    async def create(self, request: web.Request, version: ApiVersion, body: bytes) -> web.Response:
        document = parse_object(body, required=False)
        _reject_unsupported_fields(document, version)
        scopes: Optional[List[str]] = None
        if document.get("createTokenWithScopes") is not None:
            raw = document["createTokenWithScopes"]
            # An empty list asks for no token, as omitting the field does.
            if raw != []:
                scopes = _scopes(raw, version, "createTokenWithScopes")
        minutes = _minutes(document, self.default_minutes)
        custom_id = document.get("customId")
        if custom_id is not None:
            _check_custom_id(custom_id)
        identity_id = f"8:acs:{self.issuer.resource_id}_{uuid.uuid4()}"
        identity, _ = self.store.create(identity_id, custom_id)
        result: Dict[str, Any] = {"identity": self._identity_document(identity, version)}
        if scopes is not None:
            result["accessToken"] = self._token_document(identity, scopes, minutes)
        return json_response(request, 201, result)

    async def issue(self, request: web.Request, version: ApiVersion, body: bytes, identity_id: str) -> web.Response:
        document = parse_object(body, required=True)
        _reject_unsupported_fields(document, version)
        scopes = _scopes(document.get("scopes"), version, "scopes")
        minutes = _minutes(document, self.default_minutes)
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
        for name in ("token", "appId", "userId"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise validation(f"The {name} field is required and must be a non-empty string.", target=name)
        claims = self._verified_teams_claims(document["token"])
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
