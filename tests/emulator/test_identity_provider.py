"""The development Entra ID stand-ins: the managed-identity endpoint and the ADFS-style authority.

Their wire shapes are the ones azure-identity's App Service managed identity and msal's
username-password flow read (the official package's live suite, run by tests/yardstick, drives
them through those libraries); here the contract itself, over real sockets, and the loopback gate.
"""
from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from acs_identity_emulator.identity_provider import user_object_id

from .hmac_client import decode_jwt
from .test_security import REMOTE_PEERS, call, in_process  # noqa: F401 - in_process is a fixture

ACS = "https://communication.azure.com/"
TEAMS = "https://auth.msft.communication.azure.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def _msi(client, query, headers=None):
    return client.send("GET", "/emulator/msi/token?" + urlencode(query), sign_request=False,
                       headers={"X-IDENTITY-HEADER": "any-value"} if headers is None else headers)


def _password_grant(client, **fields):
    form = {"grant_type": "password", "username": "dev@contoso.test", "password": "pw", "client_id": CLIENT_ID,
            "scope": f"{TEAMS}/Teams.ManageCalls {TEAMS}/Teams.ManageChats openid profile offline_access", **fields}
    body = urlencode({name: value for name, value in form.items() if value is not None}).encode()
    return client.send("POST", "/adfs/oauth2/token", body, sign_request=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_managed_identity_token_is_accepted_as_a_bearer_token(client):
    reply = _msi(client, {"api-version": "2019-08-01", "resource": ACS})
    assert reply.status == 200, reply.raw
    document = reply.json
    assert document["token_type"] == "Bearer" and document["resource"] == ACS
    assert int(document["expires_on"]) > time.time() + 3000  # epoch seconds as a string, as App Service sends
    claims = decode_jwt(document["access_token"])[1]
    assert claims["aud"] == "https://communication.azure.com" and claims["exp"] == int(document["expires_on"])
    created = client.send("POST", "/identities?api-version=2023-10-01", {}, sign_request=False,
                          headers={"Authorization": "Bearer " + document["access_token"]})
    assert created.status == 201, created.raw


def test_managed_identity_takes_a_client_id_and_needs_the_identity_header_and_a_resource(client):
    chosen = _msi(client, {"api-version": "2019-08-01", "resource": ACS, "client_id": "my-app"})
    assert decode_jwt(chosen.json["access_token"])[1]["appid"] == "my-app"
    for query, headers, status in (({"resource": ACS}, {}, 401), ({"api-version": "2019-08-01"}, None, 400),
                                   ({"resource": "not-a-uri"}, None, 400)):
        reply = _msi(client, query, headers)
        assert reply.status == status, reply.raw
        assert reply.json["statusCode"] == status and reply.json["message"]


def test_authority_discovery_document_points_at_its_own_endpoints(client):
    reply = client.send("GET", "/adfs/.well-known/openid-configuration", sign_request=False)
    assert reply.status == 200
    config = reply.json
    base = f"http://{client.host}/adfs"
    assert config["issuer"] == base and config["token_endpoint"] == base + "/oauth2/token"
    keys = client.send("GET", "/adfs/discovery/keys", sign_request=False).json["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_password_grant_signs_in_a_development_user_whose_token_the_teams_exchange_takes(client):
    reply = _password_grant(client)
    assert reply.status == 200, reply.raw
    document = reply.json
    access, identity = decode_jwt(document["access_token"])[1], decode_jwt(document["id_token"])[1]
    oid = user_object_id("dev@contoso.test")
    assert access["aud"] == TEAMS and set(access["scp"].split()) == {"Teams.ManageCalls", "Teams.ManageChats"}
    assert access["oid"] == identity["oid"] == oid and access["appid"] == CLIENT_ID
    assert identity["aud"] == CLIENT_ID and identity["iss"] == f"http://{client.host}/adfs"
    # names are case-insensitive
    assert decode_jwt(_password_grant(client, username="DEV@contoso.test").json["id_token"])[1]["oid"] == oid
    exchanged = client.exchange("2023-10-01", {"token": document["access_token"], "appId": CLIENT_ID, "userId": oid})
    assert exchanged.status == 200, exchanged.raw


@pytest.mark.parametrize(("fields", "error"), [
    ({"password": ""}, "invalid_grant"), ({"username": " "}, "invalid_grant"), ({"client_id": None}, "invalid_grant"),
    ({"grant_type": "client_credentials"}, "unsupported_grant_type"), ({"scope": "openid profile"}, "invalid_scope"),
    ({"scope": f"{TEAMS}/Teams.ManageCalls {ACS}.default"}, "invalid_scope"),
])
def test_password_grant_refusals_use_the_oauth_error_shape(client, fields, error):
    reply = _password_grant(client, **fields)
    assert reply.status == 400 and reply.json["error"] == error and reply.json["error_description"]


@pytest.mark.asyncio
@pytest.mark.parametrize("peer", REMOTE_PEERS)
async def test_remote_callers_get_no_tokens(in_process, peer):  # noqa: F811 - the imported fixture
    for method, path in (("GET", "/emulator/msi/token?resource=https://communication.azure.com/"),
                         ("GET", "/adfs/.well-known/openid-configuration"), ("POST", "/adfs/oauth2/token")):
        response = await call(in_process, method, path, peer, {"X-IDENTITY-HEADER": "x"})
        assert response.status == 403, (method, path, peer)
