"""Per-version features: scopes, token lifetimes, Teams exchange, custom ids, get-user.

The version lists here are the published facts (../shared/SERVICE-VERSIONS.md), written out as the
oracle the emulator's table-driven rules are checked against."""
from __future__ import annotations

import time

import pytest

from .hmac_client import decode_jwt

OLD = ["2021-03-07", "2022-06-01"]
NEW = ["2022-10-01", "2023-08-01", "2023-10-01", "2025-03-02-preview", "2025-06-30"]
JOIN = ["chat.join", "chat.join.limited", "voip.join"]


@pytest.mark.parametrize("version", ["2021-03-07", "2022-06-01", "2022-10-01", "2023-08-01"])
@pytest.mark.parametrize("scope", JOIN)
def test_join_scopes_need_2023_10_01(client, version, scope):
    user = client.new_user(version)
    reply = client.issue(user, version, {"scopes": [scope]})
    assert reply.status == 400
    assert reply.error["code"] == "ValidationError"
    assert "2023-10-01" in reply.error["message"]


@pytest.mark.parametrize("version", ["2023-10-01", "2025-03-02-preview", "2025-06-30"])
def test_join_scopes_accepted(client, version):
    reply = client.create(version, {"createTokenWithScopes": JOIN + ["chat"]})
    assert reply.status == 201
    assert decode_jwt(reply.json["accessToken"]["token"])[1]["acsScope"] == "chat.join,chat.join.limited,voip.join,chat"


@pytest.mark.parametrize("scopes", [None, [], ["unknown"], "chat", [1], [None]])
def test_bad_scopes(client, scopes):
    user = client.new_user()
    body = {} if scopes is None else {"scopes": scopes}
    reply = client.issue(user, "2023-10-01", body)
    assert reply.status == 400
    assert reply.error["code"] == "ValidationError"
    assert reply.error["target"] == "scopes"


@pytest.mark.parametrize("version", NEW)
def test_expires_in_minutes(client, version):
    user = client.new_user(version)
    for minutes in (60, 61, 1440):
        reply = client.issue(user, version, {"scopes": ["chat"], "expiresInMinutes": minutes})
        claims = decode_jwt(reply.json["token"])[1]
        assert claims["exp"] - claims["iat"] == minutes * 60
    reply = client.create(version, {"createTokenWithScopes": ["chat"], "expiresInMinutes": 90})
    claims = decode_jwt(reply.json["accessToken"]["token"])[1]
    assert claims["exp"] - claims["iat"] == 90 * 60


@pytest.mark.parametrize("minutes", [59, 1441, 0, -5])
def test_expires_in_minutes_out_of_range(client, minutes):
    user = client.new_user()
    for reply in (client.issue(user, "2022-10-01", {"scopes": ["chat"], "expiresInMinutes": minutes}),
                  client.create("2023-10-01", {"createTokenWithScopes": ["chat"], "expiresInMinutes": minutes})):
        assert reply.status == 400
        assert reply.json == {"error": {
            "code": "ValidationError",
            "message": f"ExpiresInMinutes value {minutes} is invalid. Value must be within the [60, 1440] interval.",
            "target": "ExpiresInMinutes",
        }}


@pytest.mark.parametrize("value", [60.5, "60", True, [60]])
def test_expires_in_minutes_wrong_type(client, value):
    reply = client.issue(client.new_user(), "2023-10-01", {"scopes": ["chat"], "expiresInMinutes": value})
    assert reply.status == 400


@pytest.mark.parametrize("version", OLD)
def test_expires_in_minutes_too_old(client, version):
    reply = client.issue(client.new_user(), version, {"scopes": ["chat"], "expiresInMinutes": 60})
    assert reply.status == 400 and "2022-10-01" in reply.error["message"]


@pytest.mark.parametrize("version", ["2021-03-07", "2023-10-01", "2025-06-30"])
def test_custom_id_and_get_not_in_the_version(client, version):
    reply = client.create(version, {"customId": "alice"})
    assert reply.status == 400 and reply.error["target"] == "customId"
    reply = client.get(client.new_user(), version)
    assert reply.status == 400 and "2025-03-02-preview" in reply.error["message"]


def test_teams_exchange_too_old(client, emulator):
    body = {"token": emulator.mint_aad_token(), "appId": "a", "userId": "u"}
    reply = client.exchange("2021-03-07", body)
    assert reply.status == 400 and "2022-06-01" in reply.error["message"]


PREVIEW = "2025-03-02-preview"


def test_custom_id_is_idempotent(client):
    first = client.create(PREVIEW, {"customId": "alice@example.com"})
    second = client.create(PREVIEW, {"customId": "alice@example.com", "createTokenWithScopes": ["chat"]})
    other = client.create(PREVIEW, {"customId": "bob@example.com"})
    assert first.status == second.status == other.status == 201
    assert first.json["identity"] == {"id": first.json["identity"]["id"], "customId": "alice@example.com"}
    assert second.json["identity"]["id"] == first.json["identity"]["id"]
    assert other.json["identity"]["id"] != first.json["identity"]["id"]


def test_custom_id_limits(client):
    assert client.create(PREVIEW, {"customId": "x" * 256}).status == 201
    for bad in ("x" * 257, "", 42):
        reply = client.create(PREVIEW, {"customId": bad})
        assert reply.status == 400 and reply.error["target"] == "customId"


def test_custom_id_released_by_delete(client):
    first = client.create(PREVIEW, {"customId": "carol"}).json["identity"]["id"]
    assert client.delete(first, PREVIEW).status == 204
    again = client.create(PREVIEW, {"customId": "carol"}).json["identity"]["id"]
    assert again != first


def test_get_identity(client):
    user = client.create(PREVIEW, {"customId": "dave"}).json["identity"]["id"]
    reply = client.get(user, PREVIEW)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.json == {"id": user, "customId": "dave"}
    before = time.time()
    client.issue(user, PREVIEW, {"scopes": ["voip"]})
    issued_at = client.get(user, PREVIEW).json["lastTokenIssuedAt"]
    assert issued_at.endswith("+00:00") and len(issued_at.split(".")[1]) == 7 + 6
    import datetime as dt

    moment = dt.datetime.fromisoformat(issued_at[:26] + "+00:00").timestamp()
    assert before - 1 <= moment <= time.time() + 1
    client.delete(user, PREVIEW)
    assert client.get(user, PREVIEW).status == 404


# -- Teams user token exchange ------------------------------------------------------------
TEAMS_AUD = "https://auth.msft.communication.azure.com"


def teams_token(emulator, **overrides):
    claims = {"aud": TEAMS_AUD, "oid": "user-oid", "appid": "app-id", **overrides}
    return emulator.mint_aad_token(**claims)


@pytest.mark.parametrize("version", ["2022-06-01", "2022-10-01", "2023-08-01", "2023-10-01", PREVIEW, "2025-06-30"])
def test_teams_exchange_success(client, emulator, version):
    aad = teams_token(emulator, expires_in=1800)
    reply = client.exchange(version, {"token": aad, "appId": "app-id", "userId": "user-oid"})
    assert reply.status == 200, reply.raw
    claims = decode_jwt(reply.json["token"])[1]
    assert claims["skypeid"] == "orgid:user-oid"
    # "with a matching expiration time"
    assert claims["exp"] == decode_jwt(aad)[1]["exp"]
    assert emulator.token_status(reply.json["token"])["valid"] is True


def test_teams_exchange_accepts_azp(client, emulator):
    aad = emulator.mint_aad_token(aud=TEAMS_AUD, oid="user-oid", azp="app-2")
    assert client.exchange("2023-10-01", {"token": aad, "appId": "app-2", "userId": "user-oid"}).status == 200


def test_teams_exchange_failure_modes(client, emulator):
    good = {"appId": "app-id", "userId": "user-oid"}
    cases = [
        ({"token": teams_token(emulator, expires_in=-60), **good}, 401, "InvalidAccessToken", None),
        ({"token": teams_token(emulator, aud="https://communication.azure.com"), **good}, 401,
         "InvalidAccessToken", None),
        ({"token": teams_token(emulator, untrusted=True), **good}, 401, "InvalidAccessToken", None),
        ({"token": teams_token(emulator, scp="User.Read"), **good}, 401, "InvalidAccessToken", None),
        ({"token": "not.a.jwt", **good}, 401, "InvalidAccessToken", None),
        ({"token": teams_token(emulator), "appId": "other-app", "userId": "user-oid"}, 400, "ValidationError",
         "appId"),
        ({"token": teams_token(emulator), "appId": "app-id", "userId": "other-user"}, 400, "ValidationError",
         "userId"),
        ({"appId": "app-id", "userId": "user-oid"}, 401, "InvalidAccessToken", None),
        ({"token": teams_token(emulator), "userId": "user-oid"}, 400, "ValidationError", "appId"),
        ({"token": teams_token(emulator), "appId": "app-id", "userId": ""}, 400, "ValidationError", "userId"),
    ]
    for body, status, code, target in cases:
        reply = client.exchange("2023-10-01", body)
        assert reply.status == status, (body, reply.raw)
        assert reply.error["code"] == code
        if target:
            assert reply.error["target"] == target
        if "token" in body:
            assert body["token"] not in reply.raw.decode()
