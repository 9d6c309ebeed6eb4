"""Unauthenticated controls under /emulator/, for loopback callers only."""
from __future__ import annotations

import ipaddress
import math
import uuid
from typing import Any, Dict, List, Mapping, Optional

from aiohttp import web

from .clock import MAX_OFFSET_SECONDS, ServerClock
from .entra import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, EntraUsers
from .errors import ApiError, validation
from .faults import FaultQueue, parse_fault
from .identity_provider import DEV_TENANT_ID, IdentityProvider, aad_claims
from .keys import Signer
from .store import Store
from .tokens import MAX_TEST_TTL_SECONDS, TokenIssuer
from .wire import is_int, json_response, parse_object, read_body

DEFAULT_AAD_AUDIENCE = "https://communication.azure.com"
DEFAULT_TEAMS_SCOPES = "Teams.ManageCalls Teams.ManageChats"
#: ``profile`` of a minted token -> its default audience and scp: the user tokens of the three exchanges.
TOKEN_PROFILES = {
    "teamsUser": ("https://auth.msft.communication.azure.com", DEFAULT_TEAMS_SCOPES),
    "teamsExtensionUser": ("https://auth.msft.communication.azure.com", "TeamsExtension.ManageCalls"),
    "entraUser": ("https://communication.azure.com/clients", "VoIP"),
}


def is_loopback(address: Optional[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


# Headers through which a proxy names the client it forwards for. They never grant access; any
# non-loopback address in them refuses it, so a local reverse proxy cannot expose the admin API.
_FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Client-IP", "True-Client-IP",
                       "CF-Connecting-IP", "X-Cluster-Client-IP")


def _host_part(text: str) -> str:
    text = text.strip().strip('"')
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:  # IPv4 with a port
        return text.split(":", 1)[0]
    return text


def forwarded_addresses(headers: Mapping[str, str]) -> List[str]:
    """Every client address named by forwarding headers (RFC 7239 ``for=`` and the X- variants)."""
    getall = getattr(headers, "getall", None)
    found: List[str] = []
    for name in _FORWARDING_HEADERS:
        values = getall(name, []) if getall is not None else [headers[name]] if name in headers else []
        for value in values:
            for element in value.split(","):
                if name != "Forwarded":
                    found.append(_host_part(element))
                    continue
                for pair in element.split(";"):
                    key, _, address = pair.partition("=")
                    if key.strip().lower() == "for":
                        found.append(_host_part(address))
    return found


def peer_address(request: web.Request) -> Optional[str]:
    """The TCP peer's address, from the socket itself (never from headers or ``request.remote``)."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peer, (tuple, list)) and peer and isinstance(peer[0], str):
        return peer[0]
    return None


def is_local_caller(request: web.Request) -> bool:
    if not is_loopback(peer_address(request)):
        return False
    return all(is_loopback(address) for address in forwarded_addresses(request.headers))


class Admin:
    def __init__(self, store: Store, issuer: TokenIssuer, faults: FaultQueue, aad_signer: Signer,
                 untrusted_signer: Signer, *, entra: EntraUsers, clock: Optional[ServerClock] = None) -> None:
        self.clock = clock or ServerClock()
        self.entra = entra
        self.store = store
        self.issuer = issuer
        self.faults = faults
        self.aad_signer = aad_signer
        self.untrusted_signer = untrusted_signer
        # What a reset returns to: the lifetime the emulator was started with, no clock offset, the default
        # page size of the Entra ID assignment listing.
        self._startup_token_ttl_seconds = issuer.test_ttl_seconds
        self.identity_provider = IdentityProvider(aad_signer)
        self._routes = {
            ("GET", "health"): self.health,
            ("GET", "jwks"): self.jwks,
            ("POST", "tokens/validate"): self.validate,
            ("GET", "faults"): self.list_faults,
            ("POST", "faults"): self.add_fault,
            ("DELETE", "faults"): self.clear_faults,
            ("GET", "settings"): self.settings,
            ("POST", "settings"): self.update_settings,
            ("POST", "aad/token"): self.mint_aad_token,
            ("GET", "msi/token"): self.identity_provider.managed_identity_token,
            ("GET", "stats"): self.stats,
            ("POST", "reset"): self.reset,
        }

    async def handle(self, request: web.Request, subpath: Optional[str]) -> web.Response:
        """``subpath`` is what follows ``/emulator/``; None for other spellings of the prefix."""
        self._require_local_caller(request)
        handler = self._routes.get((request.method, subpath))
        if handler is None:
            allowed = sorted(method for method, path in self._routes if path == subpath) if subpath else []
            if allowed:
                raise ApiError(405, "MethodNotAllowed", f"Use {', '.join(allowed)} on /emulator/{subpath}.",
                               headers={"Allow": ", ".join(allowed)})
            raise ApiError(404, "NotFound", "No such emulator endpoint.")
        return await handler(request)

    async def authority(self, request: web.Request, subpath: str) -> web.Response:
        """The development authority under ``/adfs/`` (``subpath`` follows it), behind the same gate."""
        self._require_local_caller(request)
        return await self.identity_provider.authority(request, subpath)

    @staticmethod
    def _require_local_caller(request: web.Request) -> None:
        if not is_local_caller(request):
            raise ApiError(403, "Forbidden", "The emulator's admin endpoints answer loopback callers only.")

    async def _document(self, request: web.Request) -> Dict[str, Any]:
        return parse_object(await read_body(request), required=True)

    async def health(self, request: web.Request) -> web.Response:
        return json_response(request, 200, {"status": "ok"})

    async def jwks(self, request: web.Request) -> web.Response:
        return json_response(request, 200, {"keys": [self.issuer.signer.jwk()]})

    async def validate(self, request: web.Request) -> web.Response:
        document = await self._document(request)
        return json_response(request, 200, self.issuer.status(document.get("token"), self.store))

    async def list_faults(self, request: web.Request) -> web.Response:
        return json_response(request, 200, {"faults": self.faults.list()})

    async def add_fault(self, request: web.Request) -> web.Response:
        self.faults.add(parse_fault(await self._document(request)))
        return json_response(request, 201, {"faults": self.faults.list()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return json_response(request, 200, {"faults": []})

    async def settings(self, request: web.Request) -> web.Response:
        return json_response(request, 200, {"tokenTtlSeconds": self.issuer.test_ttl_seconds,
                                            "clockOffsetSeconds": self.clock.offset_seconds,
                                            "entraPageSize": self.entra.page_size})

    async def update_settings(self, request: web.Request) -> web.Response:
        document = await self._document(request)
        # Checked before the others are applied: a refused update changes nothing.
        size = document.get("entraPageSize")
        if size is not None and (not is_int(size) or not 1 <= size <= MAX_PAGE_SIZE):
            raise validation(f"entraPageSize must be an integer within [1, {MAX_PAGE_SIZE}] or null "
                             f"(the default, {DEFAULT_PAGE_SIZE}).", target="entraPageSize")
        if "tokenTtlSeconds" in document:
            ttl = document["tokenTtlSeconds"]
            if ttl is not None and (not is_int(ttl) or not 1 <= ttl <= MAX_TEST_TTL_SECONDS):
                raise validation(f"tokenTtlSeconds must be an integer within [1, {MAX_TEST_TTL_SECONDS}] or null.",
                                 target="tokenTtlSeconds")
            self.issuer.test_ttl_seconds = ttl
        if "clockOffsetSeconds" in document:
            offset = document["clockOffsetSeconds"]
            if (isinstance(offset, bool) or not isinstance(offset, (int, float))
                    or not math.isfinite(offset) or abs(offset) > MAX_OFFSET_SECONDS):
                raise validation(f"clockOffsetSeconds must be a number of seconds within +/-{MAX_OFFSET_SECONDS}.",
                                 target="clockOffsetSeconds")
            self.clock.offset_seconds = float(offset)
        if "entraPageSize" in document:
            self.entra.page_size = DEFAULT_PAGE_SIZE if size is None else size
        return await self.settings(request)

    async def mint_aad_token(self, request: web.Request) -> web.Response:
        document = await self._document(request)
        expires_in = document.get("expires_in", 3600)
        if not is_int(expires_in):
            raise validation("expires_in must be an integer number of seconds.", target="expires_in")
        extra = document.get("claims", {})
        if not isinstance(extra, dict):
            raise validation("claims must be an object.", target="claims")
        profile = document.get("profile")
        if profile is not None and profile not in TOKEN_PROFILES:
            raise validation(f"profile must be one of {', '.join(TOKEN_PROFILES)} or be left out.", target="profile")
        audience, scopes = TOKEN_PROFILES.get(profile, (DEFAULT_AAD_AUDIENCE, DEFAULT_TEAMS_SCOPES))
        groups = document.get("groups")
        if groups is not None and (not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)):
            raise validation("groups must be an array of group object ids.", target="groups")
        claims = aad_claims(aud=document.get("aud", audience), oid=document.get("oid", str(uuid.uuid4())),
                            appid=document.get("appid", str(uuid.uuid4())),
                            scp=document.get("scp", scopes), tenant=document.get("tid", DEV_TENANT_ID),
                            expires_in=expires_in)
        if groups is not None:
            claims["groups"] = groups
        if "azp" in document:
            claims["azp"] = document["azp"]
            if "appid" not in document:
                del claims["appid"]
        claims.update(extra)
        claims = {name: value for name, value in claims.items() if value is not None}
        signer = self.untrusted_signer if document.get("untrusted") is True else self.aad_signer
        return json_response(request, 200, {"token": signer.sign(claims)})

    async def reset(self, request: web.Request) -> web.Response:
        """A clean state for the next test: no identity and no assignment (tokens issued so far become
        unknown or revoked), no queued fault, the startup settings. Keys, the access key and the resource
        id stay, so connection strings and JWKS already handed out keep working."""
        if parse_object(await read_body(request), required=False):
            raise validation("A reset takes no options; send no body or {}.", target="body")
        self.store.reset()
        self.faults.clear()
        self.issuer.test_ttl_seconds = self._startup_token_ttl_seconds
        self.clock.offset_seconds = 0.0
        self.entra.page_size = DEFAULT_PAGE_SIZE
        return await self.stats(request)

    async def stats(self, request: web.Request) -> web.Response:
        return json_response(request, 200, {**self.store.stats(), "queuedFaults": len(self.faults.list())})
