"""A tiny raw HTTP client that signs requests like the service expects (HMAC-SHA256).

Deliberately independent of the client package: these tests pin the emulator's contract.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import ssl
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Dict, Optional
from urllib.parse import quote, urlsplit


def rfc1123(timestamp: Optional[float] = None) -> str:
    return formatdate(timestamp, usegmt=True)


def sign(key_b64: str, method: str, path_and_query: str, host: str, date: str, body: bytes) -> Dict[str, str]:
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    string_to_sign = f"{method}\n{path_and_query}\n{date};{host};{content_hash}"
    signature = base64.b64encode(
        hmac.new(base64.b64decode(key_b64), string_to_sign.encode(), hashlib.sha256).digest()).decode()
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": content_hash,
        "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
    }


def user_path(user_id: str, action: str = "") -> str:
    return "/identities/" + quote(user_id, safe="") + (f"/:{action}" if action else "")


ENTRA_ASSIGNMENTS = "/access/entra/assignments"
MERGE_PATCH = "application/merge-patch+json"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def error(self) -> Dict[str, Any]:
        return self.json["error"]


class RawClient:
    def __init__(self, endpoint: str, access_key: str, ca_cert: Optional[str] = None) -> None:
        parts = urlsplit(endpoint)
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.hostname = parts.hostname
        self.port = parts.port
        self.access_key = access_key
        self.ca_cert = ca_cert

    def connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            context = ssl.create_default_context(cafile=self.ca_cert)
            return http.client.HTTPSConnection(self.hostname, self.port, context=context, timeout=30)
        return http.client.HTTPConnection(self.hostname, self.port, timeout=30)

    def send(self, method: str, path_and_query: str, body: Any = None, *, sign_request: bool = True,
             key: Optional[str] = None, date: Optional[str] = None, host_header: Optional[str] = None,
             signed_path: Optional[str] = None, signed_host: Optional[str] = None,
             signed_body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
             drop: tuple = ()) -> Reply:
        raw_body = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        all_headers: Dict[str, str] = {"Host": host_header or self.host}
        if raw_body:
            all_headers["Content-Type"] = "application/json"
        if sign_request:
            all_headers.update(sign(
                key or self.access_key, method, signed_path or path_and_query, signed_host or self.host,
                date or rfc1123(), raw_body if signed_body is None else signed_body,
            ))
        all_headers.update(headers or {})
        for name in drop:
            all_headers.pop(name, None)
        connection = self.connection()
        try:
            connection.putrequest(method, path_and_query, skip_host=True, skip_accept_encoding=True)
            for name, value in all_headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(raw_body)))
            connection.endheaders(raw_body or None)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    # -- conveniences -----------------------------------------------------------------------
    def create(self, version: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.send("POST", f"/identities?api-version={version}", body, **kwargs)

    def issue(self, user_id: str, version: str, body: Any, **kwargs: Any) -> Reply:
        return self.send("POST", user_path(user_id, "issueAccessToken") + f"?api-version={version}", body, **kwargs)

    def revoke(self, user_id: str, version: str, **kwargs: Any) -> Reply:
        return self.send("POST", user_path(user_id, "revokeAccessTokens") + f"?api-version={version}", **kwargs)

    def delete(self, user_id: str, version: str, **kwargs: Any) -> Reply:
        return self.send("DELETE", user_path(user_id) + f"?api-version={version}", **kwargs)

    def get(self, user_id: str, version: str, **kwargs: Any) -> Reply:
        return self.send("GET", user_path(user_id) + f"?api-version={version}", **kwargs)

    def exchange(self, version: str, body: Any, **kwargs: Any) -> Reply:
        return self.send("POST", f"/teamsUser/:exchangeAccessToken?api-version={version}", body, **kwargs)

    def assignment(self, method: str, tenant_id: str, object_id: str, version: str, body: Any = None,
                   **kwargs: Any) -> Reply:
        path = f"/access/teamsExtension/tenants/{quote(tenant_id, safe='')}/assignments/{quote(object_id, safe='')}"
        return self.send(method, f"{path}?api-version={version}", body, **kwargs)

    def exchange_teams_extension(self, version: str, bearer: Optional[str], body: Any = b"{}",
                                 **kwargs: Any) -> Reply:
        """The Teams-extension exchange: not HMAC-signed, the caller's Entra ID token is the credential."""
        return self._user_exchange("/access/teamsExtension/:exchangeAccessToken", version, bearer, body, **kwargs)

    def _user_exchange(self, path: str, version: str, bearer: Optional[str], body: Any, **kwargs: Any) -> Reply:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        return self.send("POST", f"{path}?api-version={version}", body, sign_request=False,
                         headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    def new_user(self, version: str = "2021-03-07") -> str:
        reply = self.create(version)
        assert reply.status == 201, reply.raw
        return reply.json["identity"]["id"]

    # -- Entra ID users (2025-03-02-preview) ----------------------------------------------------
    def entra_assignment(self, method: str, object_id: str, version: str, body: Any = None,
                         **kwargs: Any) -> Reply:
        return self.send(method, f"{ENTRA_ASSIGNMENTS}/{quote(object_id, safe='')}?api-version={version}", body,
                         **kwargs)

    def entra_list(self, version: str, query: str = "", **kwargs: Any) -> Reply:
        return self.send("GET", f"{ENTRA_ASSIGNMENTS}?api-version={version}{query}", **kwargs)

    def entra_update(self, version: str, body: Any, content_type: str = MERGE_PATCH, **kwargs: Any) -> Reply:
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return self.send("PATCH", f"{ENTRA_ASSIGNMENTS}?api-version={version}", body, headers=headers, **kwargs)

    def exchange_entra(self, version: str, bearer: Optional[str], body: Any = b"{}", **kwargs: Any) -> Reply:
        """The Entra ID exchange: not HMAC-signed, the user's own Entra ID token is the credential."""
        return self._user_exchange("/access/entra/:exchangeAccessToken", version, bearer, body, **kwargs)


def decode_jwt(token: str) -> tuple:
    def part(text: str) -> Dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    header, claims, _ = token.split(".")
    return part(header), part(claims)
