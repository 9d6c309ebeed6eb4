"""Each operation's status, headers and body shape, for every served api-version."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from acs_identity_emulator.versions import VERSIONS

from .hmac_client import decode_jwt

ALL_VERSIONS = list(VERSIONS)
# Every swagger folder, in date order (a preview before the GA of its date): what the header must list.
SUPPORTED = ", ".join(sorted((p.parent.name for p in (Path(__file__).resolve().parents[2] / "swagger").glob(
    "*/CommunicationIdentity.json")), key=lambda v: (v[:10], not v.endswith("-preview"))))
EXPIRES_ON = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$")
USER_ID = re.compile(r"^8:acs:[0-9a-f-]{36}_[0-9a-f-]{36}$")


def assert_json(reply):
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.headers["api-supported-versions"] == SUPPORTED


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_create_without_token(client, version):
    reply = client.create(version, headers={"x-ms-client-request-id": "req-123"})
    assert reply.status == 201
    assert_json(reply)
    assert reply.headers["x-ms-client-request-id"] == "req-123"
    assert set(reply.json) == {"identity"}
    assert USER_ID.match(reply.json["identity"]["id"])


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_create_with_token_matches_expiry_and_claims(client, version):
    reply = client.create(version, {"createTokenWithScopes": ["chat", "voip"]})
    assert reply.status == 201
    user_id = reply.json["identity"]["id"]
    access = reply.json["accessToken"]
    assert EXPIRES_ON.match(access["expiresOn"])
    header, claims = decode_jwt(access["token"])
    assert header["alg"] == "RS256" and header["kid"] and header["x5t"]
    assert claims["skypeid"] == user_id[2:]
    assert claims["scp"] == 1792
    assert claims["acsScope"] == "chat,voip"
    assert claims["resourceId"] == user_id[6:42]
    assert claims["resourceLocation"] == "unitedstates"
    assert claims["exp"] - claims["iat"] == 1440 * 60
    assert int(claims["csi"]) == claims["iat"]
    expires_on = dt.datetime.fromisoformat(access["expiresOn"][:26] + "+00:00")
    assert expires_on.timestamp() == claims["exp"]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_issue_revoke_delete(client, emulator, version):
    user_id = client.new_user(version)
    reply = client.issue(user_id, version, {"scopes": ["voip"]})
    assert reply.status == 200
    assert_json(reply)
    assert set(reply.json) == {"token", "expiresOn"}
    assert emulator.token_status(reply.json["token"])["valid"] is True

    revoked = client.revoke(user_id, version)
    assert revoked.status == 204 and revoked.raw == b""
    assert revoked.headers["api-supported-versions"] == SUPPORTED

    deleted = client.delete(user_id, version)
    assert deleted.status == 204 and deleted.raw == b""
    for reply in (client.delete(user_id, version), client.revoke(user_id, version),
                  client.issue(user_id, version, {"scopes": ["chat"]})):
        assert reply.status == 404
        assert_json(reply)
        assert reply.error["code"] == "IdentityNotFound"


def test_tokens_are_unique_per_issue(client):
    user_id = client.new_user()
    tokens = {client.issue(user_id, "2021-03-07", {"scopes": ["chat"]}).json["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_token_verifies_against_published_jwks(client, emulator):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from acs_identity_emulator.keys import b64url_decode, public_key_from_jwk

    token = client.create("2021-03-07", {"createTokenWithScopes": ["chat"]}).json["accessToken"]["token"]
    header, _ = decode_jwt(token)
    (jwk,) = [k for k in emulator.jwks()["keys"] if k["kid"] == header["kid"]]
    signing_input, _, signature = token.rpartition(".")
    public_key_from_jwk(jwk).verify(b64url_decode(signature), signing_input.encode(), padding.PKCS1v15(),
                                    hashes.SHA256())


def test_api_version_missing_or_unknown(client):
    for path in ("/identities", "/identities?api-version=", "/identities?api-version=2020-01-01"):
        reply = client.send("POST", path)
        assert reply.status == 400
        assert_json(reply)
        assert reply.error["code"] in {"MissingApiVersionParameter", "UnsupportedApiVersion"}


def test_unknown_path_and_wrong_method(client):
    reply = client.send("POST", "/identity?api-version=2021-03-07")
    assert reply.status == 404 and reply.error["code"] == "NotFound"
    assert_json(reply)
    reply = client.send("PUT", "/identities?api-version=2021-03-07")
    assert reply.status == 405 and reply.headers["Allow"] == "POST"
    assert_json(reply)
    user = client.new_user()
    reply = client.send("GET", f"/identities/{user}/:issueAccessToken?api-version=2021-03-07")
    assert reply.status == 405


def test_admin_health_and_stats(emulator):
    assert emulator.admin("GET", "health") == {"status": "ok"}
    assert emulator.admin("GET", "stats")["identities"] >= 0
