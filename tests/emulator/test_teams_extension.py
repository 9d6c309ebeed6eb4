"""Teams Phone extensibility in the emulator: assignments (HMAC-signed, raw) and the token exchange
(the Teams Phone user's Entra ID token as the bearer, minted by the emulator's development issuer)."""
from __future__ import annotations

import uuid

import pytest

from .hmac_client import decode_jwt

TEAMS_VERSIONS = ["2025-03-02-preview", "2025-06-30"]
V = "2025-06-30"
AUDIENCE = "https://auth.msft.communication.azure.com"
SCOPE = "TeamsExtension.ManageCalls"


def _ids():
    return str(uuid.uuid4()), str(uuid.uuid4())


def user_token(emulator, tenant, oid, app=None, **claims):
    return emulator.mint_aad_token(tid=tenant, oid=oid, appid=app or str(uuid.uuid4()), aud=AUDIENCE, scp=SCOPE,
                                   **claims)


@pytest.mark.parametrize("version", TEAMS_VERSIONS)
def test_assignment_create_replace_get_delete(client, version):
    tenant, oid = _ids()
    app = str(uuid.uuid4())
    created = client.assignment("PUT", tenant, oid, version, {"principalType": "user", "clientIds": [app.upper()]})
    assert created.status == 201, created.raw
    assert created.headers["Content-Type"] == "application/json; charset=utf-8"
    assert created.json == {"objectId": oid, "tenantId": tenant, "principalType": "user", "clientIds": [app]}
    replaced = client.assignment("PUT", tenant, oid, version, {"principalType": "resourceAccount"})
    assert replaced.status == 200
    assert replaced.json == {"objectId": oid, "tenantId": tenant, "principalType": "resourceAccount"}
    assert client.assignment("GET", tenant.upper(), oid, version).json == replaced.json, "GUIDs in any case"
    deleted = client.assignment("DELETE", tenant, oid, version)
    assert deleted.status == 204 and deleted.raw == b""
    for method in ("GET", "DELETE"):
        gone = client.assignment(method, tenant, oid, version)
        assert gone.status == 404 and gone.error["code"] == "AssignmentNotFound"


def test_the_documented_spelling_teams_resource_account_is_returned_as_sent(client):
    tenant, oid = _ids()
    reply = client.assignment("PUT", tenant, oid, V, {"principalType": "teamsResourceAccount"})
    assert reply.status == 201 and reply.json["principalType"] == "teamsResourceAccount"


@pytest.mark.parametrize(("body", "target"), [
    ({"principalType": "group"}, "principalType"),
    ({"principalType": "User"}, "principalType"),
    ({"principalType": 3}, "principalType"),
    ({"principalType": ["user"]}, "principalType"),
    ({}, "principalType"),
    ({"principalType": "user", "clientIds": []}, "clientIds"),
    ({"principalType": "user", "clientIds": "app"}, "clientIds"),
    ({"principalType": "user", "clientIds": ["not-a-guid"]}, "clientIds"),
    ({"principalType": "user", "clientIds": [7]}, "clientIds"),
])
def test_bad_assignment_bodies_are_refused_and_nothing_is_written(client, body, target):
    tenant, oid = _ids()
    reply = client.assignment("PUT", tenant, oid, V, body)
    assert reply.status == 400 and reply.error == {**reply.error, "code": "ValidationError", "target": target}
    assert client.assignment("GET", tenant, oid, V).status == 404


@pytest.mark.parametrize(("tenant", "oid", "target"), [("not-a-guid", str(uuid.uuid4()), "tenantId"),
                                                         (str(uuid.uuid4()), "x/y", "objectId")])
def test_ids_must_be_guids(client, tenant, oid, target):
    reply = client.assignment("PUT", tenant, oid, V, {"principalType": "user"})
    assert reply.status == 400 and reply.error["target"] == target


@pytest.mark.parametrize("version", ["2023-10-01", "2021-03-07"])
def test_versions_without_teams_extension_refuse_it(client, emulator, version):
    tenant, oid = _ids()
    reply = client.assignment("PUT", tenant, oid, version, {"principalType": "user"})
    assert reply.status == 400 and reply.error["code"] == "UnsupportedApiVersion"
    assert "2025-03-02-preview or later" in reply.error["message"]
    assert client.exchange_teams_extension(version, user_token(emulator, tenant, oid)).status == 400


def test_assignments_need_the_resource_credentials(client):
    tenant, oid = _ids()
    reply = client.assignment("PUT", tenant, oid, V, {"principalType": "user"}, sign_request=False)
    assert reply.status == 401


@pytest.mark.parametrize("version", TEAMS_VERSIONS)
def test_exchange_issues_a_token_for_the_assigned_user(client, emulator, version):
    tenant, oid = _ids()
    assert client.assignment("PUT", tenant, oid, version, {"principalType": "user"}).status == 201
    entra = user_token(emulator, tenant, oid, expires_in=1800)
    reply = client.exchange_teams_extension(version, entra)
    assert reply.status == 200, reply.raw
    resource = client.new_user()[len("8:acs:"):].split("_")[0]
    assert reply.json["identity"] == {"id": f"8:acs:{resource}_{tenant}_{oid}"}
    claims = decode_jwt(reply.json["accessToken"]["token"])[1]
    assert claims["skypeid"] == f"acs:{resource}_{tenant}_{oid}"
    assert claims["exp"] == decode_jwt(entra)[1]["exp"], "expires with the Entra ID token"
    assert emulator.token_status(reply.json["accessToken"]["token"])["valid"] is True
    assert client.exchange_teams_extension(version, entra, body=b"").status == 200, "no body is fine too"


def test_exchange_without_assignment_is_forbidden(client, emulator):
    tenant, oid = _ids()
    reply = client.exchange_teams_extension(V, user_token(emulator, tenant, oid))
    assert reply.status == 403 and reply.error["code"] == "Forbidden"
    assert oid in reply.error["message"]
    other_tenant = str(uuid.uuid4())
    client.assignment("PUT", other_tenant, oid, V, {"principalType": "user"})
    assert client.exchange_teams_extension(V, user_token(emulator, tenant, oid)).status == 403, "per tenant"


def test_exchange_only_through_the_assigned_client_ids(client, emulator):
    tenant, oid = _ids()
    allowed = str(uuid.uuid4())
    client.assignment("PUT", tenant, oid, V, {"principalType": "user", "clientIds": [allowed]})
    assert client.exchange_teams_extension(V, user_token(emulator, tenant, oid, app=allowed.upper())).status == 200
    refused = client.exchange_teams_extension(V, user_token(emulator, tenant, oid))
    assert refused.status == 403 and "clientIds" in refused.error["message"]
    via_azp = emulator.mint_aad_token(tid=tenant, oid=oid, azp=allowed, aud=AUDIENCE, scp=SCOPE)
    assert client.exchange_teams_extension(V, via_azp).status == 200


def test_deleting_the_assignment_revokes_exchanged_tokens(client, emulator):
    tenant, oid = _ids()
    client.assignment("PUT", tenant, oid, V, {"principalType": "user"})
    entra = user_token(emulator, tenant, oid)
    first = client.exchange_teams_extension(V, entra).json["accessToken"]["token"]
    client.assignment("PUT", tenant, oid, V, {"principalType": "user", "clientIds": [str(uuid.uuid4())]})
    assert emulator.token_status(first)["valid"] is True, "a replace keeps the tokens"
    client.assignment("DELETE", tenant, oid, V)
    assert emulator.token_status(first) == {**emulator.token_status(first), "valid": False, "reason": "revoked"}
    assert client.exchange_teams_extension(V, entra).status == 403
    client.assignment("PUT", tenant, oid, V, {"principalType": "user"})
    again = client.exchange_teams_extension(V, entra).json["accessToken"]["token"]
    assert emulator.token_status(again)["valid"] is True
    assert emulator.token_status(first)["valid"] is False, "assigning again does not revive revoked tokens"


def test_exchange_checks_the_bearer_token(client, emulator):
    tenant, oid = _ids()
    client.assignment("PUT", tenant, oid, V, {"principalType": "user"})
    cases = [
        (None, 401, "Unauthorized"),
        ("not.a.jwt", 401, "InvalidAccessToken"),
        (user_token(emulator, tenant, oid, untrusted=True), 401, "InvalidAccessToken"),
        (user_token(emulator, tenant, oid, expires_in=-60), 401, "InvalidAccessToken"),
        (emulator.mint_aad_token(tid=tenant, oid=oid, aud=AUDIENCE, scp="Teams.ManageCalls"), 401,
         "InvalidAccessToken"),
        (emulator.mint_aad_token(tid=tenant, oid=oid, aud="https://communication.azure.com", scp=SCOPE), 401,
         "InvalidAccessToken"),
        (emulator.mint_aad_token(tid="contoso", oid=oid, aud=AUDIENCE, scp=SCOPE), 401, "InvalidAccessToken"),
    ]
    for bearer, status, code in cases:
        reply = client.exchange_teams_extension(V, bearer)
        assert (reply.status, reply.error["code"]) == (status, code), bearer
        if bearer:
            assert bearer not in reply.raw.decode()
    signed = client.send("POST", f"/access/teamsExtension/:exchangeAccessToken?api-version={V}", {})
    assert signed.status == 401 and signed.error["code"] == "InvalidAuthenticationInfo", "the key is not a user"
    assert client.exchange_teams_extension(V, user_token(emulator, tenant, oid), body=b"[]").status == 400


def test_assignment_faults_use_the_table_names(client, emulator):
    tenant, oid = _ids()
    emulator.inject_fault(operation="teamsExtensionCreateOrReplaceAssignment", status=503, count=1)
    assert client.assignment("PUT", tenant, oid, V, {"principalType": "user"}).status == 503
    assert client.assignment("PUT", tenant, oid, V, {"principalType": "user"}).status == 201
