"""HMAC-SHA256 and Azure AD bearer authentication, and what a failure says."""
from __future__ import annotations

import base64
import time

from .hmac_client import rfc1123

V = "2021-03-07"


def assert_401(reply, code=None):
    assert reply.status == 401, reply.raw
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    if code:
        assert reply.error["code"] == code
    return reply.error


def test_signed_request_succeeds(client):
    assert client.create(V).status == 201


def test_wrong_key(client):
    other = base64.b64encode(b"k" * 64).decode()
    error = assert_401(client.create(V, key=other), "InvalidSignature")
    assert other not in error["message"]


def test_body_changed_after_signing(client):
    reply = client.create(V, {"createTokenWithScopes": ["voip"]}, signed_body=b'{"createTokenWithScopes":["chat"]}')
    assert_401(reply, "InvalidContentHash")


def test_content_hash_header_consistent_but_signature_over_other_body(client):
    # The attacker recomputes the hash header but cannot re-sign: the signature check catches it.
    from .hmac_client import sign

    body = b'{"createTokenWithScopes":["chat"]}'
    date = rfc1123()
    headers = sign(client.access_key, "POST", f"/identities?api-version={V}", client.host, date, b"{}")
    import hashlib

    headers["x-ms-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
    reply = client.create(V, body, sign_request=False, headers=headers)
    assert_401(reply, "InvalidSignature")


def test_stale_and_future_dates(client):
    for offset in (-16 * 60, 16 * 60, -86400):
        reply = client.create(V, date=rfc1123(time.time() + offset))
        error = assert_401(reply, "RequestDateOutOfRange")
        assert "x-ms-date" in error["message"]
        assert abs(error["innererror"]["skewSeconds"] - offset) <= 5
        assert reply.headers["Date"]


def test_small_skew_is_accepted(client):
    assert client.create(V, date=rfc1123(time.time() - 10 * 60)).status == 201


def test_missing_headers(client):
    for header in ("Authorization", "x-ms-date", "x-ms-content-sha256"):
        reply = client.create(V, drop=(header,))
        assert_401(reply)


def test_unparsable_date(client):
    assert_401(client.create(V, date="yesterday"), "InvalidAuthenticationInfo")


def test_path_or_query_changed(client):
    user = client.new_user()
    from .hmac_client import user_path

    real = user_path(user, "issueAccessToken") + f"?api-version={V}"
    other_user = client.new_user()
    assert_401(client.issue(other_user, V, {"scopes": ["chat"]}, signed_path=real), "InvalidSignature")
    assert_401(client.send("POST", f"/identities?api-version={V}&x=1", signed_path=f"/identities?api-version={V}"),
               "InvalidSignature")
    # The path as sent is what counts: ':' vs '%3A' are different bytes.
    assert_401(client.issue(user, V, {"scopes": ["chat"]}, signed_path=real.replace("%3A", ":")),
               "InvalidSignature")


def test_wrong_host(client):
    assert_401(client.create(V, signed_host="evil.example:443"), "InvalidSignature")
    assert_401(client.create(V, host_header="other.example"), "InvalidSignature")


def test_unknown_scheme(client):
    assert_401(client.create(V, sign_request=False, headers={"Authorization": "Basic dXNlcjpwdw=="}))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_bearer_success(client, emulator):
    token = emulator.mint_aad_token()
    reply = client.create(V, {"createTokenWithScopes": ["chat"]}, sign_request=False, headers=bearer(token))
    assert reply.status == 201
    slash = emulator.mint_aad_token(aud="https://communication.azure.com/")
    assert client.create(V, sign_request=False, headers=bearer(slash)).status == 201


def test_bearer_negatives(client, emulator):
    cases = {
        "wrong audience": emulator.mint_aad_token(aud="https://graph.microsoft.com"),
        "expired": emulator.mint_aad_token(expires_in=-120),
        "unknown signer": emulator.mint_aad_token(untrusted=True),
        "garbage": "not-a-jwt",
    }
    for name, token in cases.items():
        error = assert_401(client.create(V, sign_request=False, headers=bearer(token)), "InvalidAccessToken")
        assert token not in error["message"], name


def test_trusted_issuer_jwks_file(tmp_path):
    import json

    from acs_identity_emulator.keys import Signer, new_rsa_key
    from acs_identity_emulator.testing import running_emulator

    from .hmac_client import RawClient

    signer = Signer(new_rsa_key())
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [signer.jwk()]}))
    claims = {"aud": "https://communication.azure.com", "exp": int(time.time()) + 600, "oid": "x"}
    with running_emulator(args=["--trusted-issuer-jwks", str(jwks)]) as emulator:
        client = RawClient(emulator.endpoint, emulator.access_key)
        assert client.create(V, sign_request=False, headers=bearer(signer.sign(claims))).status == 201
