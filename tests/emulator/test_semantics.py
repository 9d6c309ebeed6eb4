"""Revocation, deletion and expiry as seen through the emulator's validity endpoint."""
from __future__ import annotations

import time

import pytest

V = "2023-10-01"


def issue(client, user):
    reply = client.issue(user, V, {"scopes": ["chat"]})
    assert reply.status == 200
    return reply.json["token"]


def test_revoke_invalidates_earlier_tokens_only(client, emulator):
    user = client.new_user(V)
    before = [issue(client, user) for _ in range(3)]
    assert client.revoke(user, V).status == 204
    # Same second as the revoke: must still be valid.
    after = issue(client, user)
    for token in before:
        status = emulator.token_status(token)
        assert (status["valid"], status["reason"]) == (False, "revoked")
    assert emulator.token_status(after)["valid"] is True
    assert client.revoke(user, V).status == 204
    assert emulator.token_status(after)["reason"] == "revoked"


def test_revoke_does_not_touch_other_users(client, emulator):
    first, second = client.new_user(V), client.new_user(V)
    token = issue(client, second)
    client.revoke(first, V)
    assert emulator.token_status(token)["valid"] is True


def test_delete_invalidates_tokens(client, emulator):
    user = client.new_user(V)
    token = issue(client, user)
    assert client.delete(user, V).status == 204
    assert emulator.token_status(token)["reason"] == "deleted"


def test_validity_endpoint_rejects_forgeries(client, emulator):
    token = issue(client, client.new_user(V))
    head, payload, signature = token.split(".")
    assert emulator.token_status("x.y")["reason"] == "malformed"
    assert emulator.token_status(f"{head}.{payload}.{signature[::-1]}")["reason"] == "bad-signature"
    # An AAD token is signed by another key: not ours.
    assert emulator.token_status(emulator.mint_aad_token())["reason"] == "bad-signature"


@pytest.mark.slow
def test_short_lived_tokens_for_tests(client, emulator):
    emulator.set_token_ttl_seconds(2)
    user = client.new_user(V)
    reply = client.issue(user, V, {"scopes": ["chat"], "expiresInMinutes": 60})
    from .hmac_client import decode_jwt

    claims = decode_jwt(reply.json["token"])[1]
    assert claims["exp"] - claims["iat"] == 2
    assert emulator.token_status(reply.json["token"])["valid"] is True
    deadline = time.time() + 10
    while emulator.token_status(reply.json["token"])["valid"] and time.time() < deadline:
        time.sleep(0.25)
    assert emulator.token_status(reply.json["token"])["reason"] == "expired"
    emulator.set_token_ttl_seconds(None)
    claims = decode_jwt(issue(client, user))[1]
    assert claims["exp"] - claims["iat"] == 1440 * 60


def test_settings_validation(emulator):
    from acs_identity_emulator.testing import EmulatorError

    with pytest.raises(EmulatorError, match="400"):
        emulator.admin("POST", "settings", {"tokenTtlSeconds": 0})
    assert emulator.admin("GET", "settings")["tokenTtlSeconds"] is None


def test_cli_short_token_lifetime():
    from acs_identity_emulator.testing import running_emulator

    from .hmac_client import RawClient, decode_jwt

    with running_emulator(args=["--test-token-ttl-seconds", "5"]) as emulator:
        client = RawClient(emulator.endpoint, emulator.access_key)
        token = client.create(V, {"createTokenWithScopes": ["chat"]}).json["accessToken"]["token"]
        claims = decode_jwt(token)[1]
        assert claims["exp"] - claims["iat"] == 5
