"""Development stand-ins for Microsoft Entra ID, so unchanged client code gets tokens the emulator accepts.

* A managed-identity endpoint (the App Service protocol): with ``IDENTITY_ENDPOINT`` set to
  ``<emulator>/emulator/msi/token`` and ``IDENTITY_HEADER`` to any value, ``azure.identity``'s
  ``ManagedIdentityCredential`` and ``DefaultAzureCredential`` (sync and async) get Azure AD tokens
  for the requested resource from the emulator.
* An ADFS-style authority at ``<emulator>/adfs`` (msal's convention for authorities that need no
  instance discovery): ``.well-known/openid-configuration`` and a token endpoint for the
  username-password grant, so ``msal.PublicClientApplication(..., authority=<emulator>/adfs)``
  signs in a development user and gets, say, a Teams user's token for the Teams exchange.

Every token is signed by the emulator's development issuer (the key the emulator trusts for
bearer tokens and Teams exchanges). Any user name with a non-empty password signs in; the user's
object id is derived from the name, so it is stable. Like the admin API, these endpoints answer
loopback callers only.
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs

from aiohttp import web

from .keys import Signer
from .wire import json_response, read_body

DEV_TENANT_ID = "00000000-0000-4000-8000-00000000a11d"
#: The object id and client id of the emulator's one managed identity.
MANAGED_IDENTITY_OBJECT_ID = "00000000-0000-4000-8000-0000000000d1"
MANAGED_IDENTITY_CLIENT_ID = "00000000-0000-4000-8000-0000000000c1"
TOKEN_LIFETIME_SECONDS = 3600
_USER_NAMESPACE = uuid.UUID("5b6a1c1e-7d0f-4a53-9a57-2f3b0c8e11d4")
# Scopes that ask for OpenID Connect results, not for an API's access token.
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_MAX_FIELD = 1024


def aad_claims(*, aud: str, oid: str, appid: Optional[str], scp: Optional[str], tenant: str = DEV_TENANT_ID,
               expires_in: int = TOKEN_LIFETIME_SECONDS, now: Optional[int] = None) -> Dict[str, Any]:
    """The claims of an Azure AD access token as the emulator's development issuer writes them."""
    now = int(time.time()) if now is None else now
    issued = now - 60 if expires_in > 0 else now + expires_in - 60
    claims: Dict[str, Any] = {
        "aud": aud, "iss": f"https://sts.windows.net/{tenant}/", "iat": issued, "nbf": issued,
        "exp": now + expires_in, "oid": oid, "sub": oid, "tid": tenant, "appid": appid, "scp": scp,
    }
    return {name: value for name, value in claims.items() if value is not None}


def user_object_id(username: str) -> str:
    """The stable object id of a development user (case-insensitive name, as Entra ID sign-in names are)."""
    return str(uuid.uuid5(_USER_NAMESPACE, username.strip().lower()))


def _oauth_error(status: int, error: str, description: str, request: web.Request) -> web.Response:
    return json_response(request, status, {"error": error, "error_description": description})


def _split_scopes(scope: str) -> Tuple[Optional[str], str, List[str]]:
    """(resource, space-joined permissions, OIDC scopes) of an OAuth ``scope`` value; resource None if mixed."""
    resources, permissions, oidc = set(), [], []
    for item in scope.split():
        if item in _OIDC_SCOPES:
            oidc.append(item)
            continue
        resource, _, permission = item.rpartition("/")
        if not resource or "://" not in resource:
            return None, "", oidc
        resources.add(resource.rstrip("/"))
        if permission and permission != ".default":
            permissions.append(permission)
    if len(resources) != 1:
        return None, "", oidc
    return resources.pop(), " ".join(permissions), oidc


class IdentityProvider:
    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    # -- managed identity (App Service protocol) -----------------------------------------------
    async def managed_identity_token(self, request: web.Request) -> web.Response:
        def refuse(status: int, message: str) -> web.Response:
            return json_response(request, status, {"statusCode": status, "message": message})

        if not request.headers.get("X-IDENTITY-HEADER"):
            return refuse(401, "The X-IDENTITY-HEADER header (the IDENTITY_HEADER variable's value) is required.")
        resource = request.query.get("resource", "")
        if "://" not in resource or len(resource) > _MAX_FIELD:
            return refuse(400, "The resource query parameter must be the URI of the API to call, such as "
                               "https://communication.azure.com.")
        client_id = request.query.get("client_id") or MANAGED_IDENTITY_CLIENT_ID
        now = int(time.time())
        claims = aad_claims(aud=resource.rstrip("/"), oid=MANAGED_IDENTITY_OBJECT_ID, appid=client_id[:_MAX_FIELD],
                            scp=None, now=now)
        return json_response(request, 200, {
            "access_token": self.signer.sign(claims), "expires_on": str(claims["exp"]), "resource": resource,
            "token_type": "Bearer", "client_id": client_id,
        })

    # -- ADFS-style authority ------------------------------------------------------------------------
    async def authority(self, request: web.Request, subpath: str) -> web.Response:
        base = f"{request.scheme}://{request.host}/adfs"
        if request.method == "GET" and subpath == ".well-known/openid-configuration":
            return json_response(request, 200, {
                "issuer": base, "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token", "jwks_uri": f"{base}/discovery/keys",
                "response_types_supported": ["token", "id_token"], "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "grant_types_supported": ["password"],
            })
        if request.method == "GET" and subpath == "discovery/keys":
            return json_response(request, 200, {"keys": [self.signer.jwk()]})
        if request.method == "POST" and subpath == "oauth2/token":
            return await self._token(request, base)
        return _oauth_error(404, "not_found", "No such endpoint on the emulator's development authority.", request)

    async def _token(self, request: web.Request, issuer: str) -> web.Response:
        body = await read_body(request)
        try:
            fields = {name: values[0] for name, values in parse_qs(body.decode("utf-8"), strict_parsing=False).items()}
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "The request body must be UTF-8 form fields.", request)
        if fields.get("grant_type") != "password":
            return _oauth_error(400, "unsupported_grant_type",
                                "The development authority supports the password grant only.", request)
        username, password = fields.get("username", ""), fields.get("password", "")
        client_id = fields.get("client_id", "")
        if not username.strip() or not password or not client_id:
            return _oauth_error(400, "invalid_grant", "username, password and client_id are required.", request)
        if max(len(username), len(client_id)) > _MAX_FIELD:
            return _oauth_error(400, "invalid_request", "username or client_id is too long.", request)
        resource, permissions, oidc = _split_scopes(fields.get("scope", ""))
        if resource is None:
            return _oauth_error(400, "invalid_scope", "scope must name one resource, such as "
                                "https://auth.msft.communication.azure.com/Teams.ManageCalls.", request)
        now = int(time.time())
        oid = user_object_id(username)
        access = aad_claims(aud=resource, oid=oid, appid=client_id, scp=permissions or None, now=now)
        access.update(upn=username, unique_name=username)
        document: Dict[str, Any] = {
            "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS, "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": fields.get("scope", ""), "access_token": self.signer.sign(access),
        }
        if "openid" in oidc:
            identity = {"aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME_SECONDS,
                        "sub": oid, "oid": oid, "tid": DEV_TENANT_ID, "upn": username, "preferred_username": username}
            document["id_token"] = self.signer.sign(identity)
        return json_response(request, 200, document)
