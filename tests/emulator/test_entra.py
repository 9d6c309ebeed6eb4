"""Entra ID users in the emulator (2025-03-02-preview): assignments (HMAC-signed, raw), the bulk update
(merge patch), the paged listing, and the token exchange (the user's Entra ID token as the bearer, minted
by the emulator's development issuer)."""
from __future__ import annotations

import uuid

import pytest

from acs_identity_emulator.testing import running_emulator
from acs_identity_emulator.versions import VERSIONS

from .hmac_client import RawClient, decode_jwt

V = "2025-03-02-preview"
CLIENTS_AUDIENCE = "https://communication.azure.com/clients"


def guid() -> str:
    return str(uuid.uuid4())


def assignment(tenant, principal_type="user", client_ids=None):
    return {"tenantId": tenant, "principalType": principal_type, "clientIds": client_ids or [guid()]}


def entra_token(emulator, tenant, oid, app, **fields):
    return emulator.mint_entra_user_token(tenant_id=tenant, object_id=oid, client_id=app, **fields)


def resource_of(client):
    return client.new_user()[len("8:acs:"):].split("_")[0]


def exchanged(client, bearer):
    reply = client.exchange_entra(V, bearer)
    assert reply.status == 200, reply.raw
    return reply.json


# -- assignments --------------------------------------------------------------------------------------

def test_assignment_create_replace_get_delete(client):
    tenant, oid, app = guid(), guid(), guid()
    created = client.entra_assignment("PUT", oid.upper(), V, assignment(tenant.upper(), client_ids=[app, app.upper()]))
    assert created.status == 201, created.raw
    assert created.headers["Content-Type"] == "application/json; charset=utf-8"
    assert created.json == {"objectId": oid, "tenantId": tenant, "principalType": "user", "clientIds": [app]}
    other_app = guid()
    replaced = client.entra_assignment("PUT", oid, V, assignment(tenant, "group", [other_app, app]))
    assert replaced.status == 200
    assert replaced.json == {"objectId": oid, "tenantId": tenant, "principalType": "group",
                             "clientIds": [other_app, app]}
    assert client.entra_assignment("GET", oid.upper(), V).json == replaced.json, "GUIDs in any case"
    deleted = client.entra_assignment("DELETE", oid, V)
    assert deleted.status == 204 and deleted.raw == b""
    for method in ("GET", "DELETE"):
        gone = client.entra_assignment(method, oid, V)
        assert gone.status == 404 and gone.error["code"] == "AssignmentNotFound"


def test_a_tenant_assignment_is_keyed_by_the_tenant_id(client):
    tenant = guid()
    reply = client.entra_assignment("PUT", tenant, V, assignment(tenant, "tenant"))
    assert reply.status == 201 and reply.json["objectId"] == reply.json["tenantId"] == tenant
    mismatch = client.entra_assignment("PUT", guid(), V, assignment(tenant, "tenant"))
    assert mismatch.status == 400 and mismatch.error["target"] == "objectId"


@pytest.mark.parametrize(("body", "target"), [
    ({"principalType": "user", "clientIds": ["4c7e2f0c-8b7f-4a62-9e55-7d3f1a9b2c10"]}, "tenantId"),
    ({"tenantId": "contoso", "principalType": "user", "clientIds": ["4c7e2f0c-8b7f-4a62-9e55-7d3f1a9b2c10"]},
     "tenantId"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "robot",
      "clientIds": ["4c7e2f0c-8b7f-4a62-9e55-7d3f1a9b2c10"]}, "principalType"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "User",
      "clientIds": ["4c7e2f0c-8b7f-4a62-9e55-7d3f1a9b2c10"]}, "principalType"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": 3,
      "clientIds": ["4c7e2f0c-8b7f-4a62-9e55-7d3f1a9b2c10"]}, "principalType"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "user"}, "clientIds"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "user", "clientIds": []}, "clientIds"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "user", "clientIds": "app"},
     "clientIds"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "user", "clientIds": ["app"]},
     "clientIds"),
    ({"tenantId": "2d6e1b8a-0f3c-4e59-a1d7-9b8c7e6f5a41", "principalType": "user",
      "clientIds": [str(uuid.UUID(int=n)) for n in range(101)]}, "clientIds"),
    (["user"], "body"),
])
def test_bad_assignment_bodies_are_refused_and_nothing_is_written(client, body, target):
    oid = guid()
    reply = client.entra_assignment("PUT", oid, V, body)
    assert reply.status == 400 and reply.error == {**reply.error, "code": "ValidationError", "target": target}
    assert client.entra_assignment("GET", oid, V).status == 404


@pytest.mark.parametrize("object_id", ["not-a-guid", "a/b", "..", "8:acs:x"])
def test_object_ids_must_be_guids(client, object_id):
    for method, body in (("PUT", assignment(guid())), ("GET", None), ("DELETE", None)):
        reply = client.entra_assignment(method, object_id, V, body)
        assert reply.status == 400 and reply.error["target"] == "objectId", (method, reply.raw)


@pytest.mark.parametrize("version", [name for name, served in VERSIONS.items()
                                     if not served.has("entraUsersListAssignments")])
def test_versions_without_entra_refuse_every_entra_operation(client, emulator, version):
    tenant, oid, app = guid(), guid(), guid()
    replies = [client.entra_assignment("PUT", oid, version, assignment(tenant)),
               client.entra_assignment("GET", oid, version), client.entra_assignment("DELETE", oid, version),
               client.entra_list(version), client.entra_update(version, {oid: None}),
               client.exchange_entra(version, entra_token(emulator, tenant, oid, app))]
    for reply in replies:
        assert reply.status == 400 and reply.error["code"] == "UnsupportedApiVersion", reply.raw
        assert "2025-03-02-preview" in reply.error["message"]
    assert client.entra_assignment("GET", oid, V).status == 404, "nothing was written"


def test_assignments_need_the_resource_credentials(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    assert client.entra_assignment("PUT", oid, V, assignment(tenant), sign_request=False).status == 401
    user = entra_token(emulator, tenant, oid, app)
    as_user = client.entra_assignment("PUT", oid, V, assignment(tenant), sign_request=False,
                                      headers={"Authorization": f"Bearer {user}"})
    assert as_user.status == 401 and as_user.error["code"] == "InvalidAccessToken", "a user cannot assign itself"
    assert client.entra_list(V, sign_request=False).status == 401
    assert client.entra_assignment("GET", oid, V).status == 404


def test_assignment_faults_use_the_table_names(client, emulator):
    oid = guid()
    emulator.inject_fault(operation="entraUsersCreateOrReplaceAssignment", status=503, count=1)
    assert client.entra_assignment("PUT", oid, V, assignment(guid())).status == 503
    assert client.entra_assignment("PUT", oid, V, assignment(guid())).status == 201


# -- the bulk update (JSON merge patch) ---------------------------------------------------------------

def test_bulk_update_creates_merges_and_deletes_in_one_request(client):
    tenant, app = guid(), guid()
    kept, merged, removed, absent, new = (guid() for _ in range(5))
    for object_id in (kept, merged, removed):
        assert client.entra_assignment("PUT", object_id, V, assignment(tenant, client_ids=[app])).status == 201
    other_app = guid()
    reply = client.entra_update(V, {
        merged: {"clientIds": [other_app]},          # merge patch: only clientIds changes
        removed: None,
        absent.upper(): None,                         # deleting what does not exist is not an error
        new: assignment(tenant, "group", [app]),
    })
    assert reply.status == 200, reply.raw
    assert reply.json == {"value": sorted([
        {"objectId": merged, "tenantId": tenant, "principalType": "user", "clientIds": [other_app]},
        {"objectId": new, "tenantId": tenant, "principalType": "group", "clientIds": [app]},
    ], key=lambda item: item["objectId"])}
    assert client.entra_assignment("GET", merged, V).json["clientIds"] == [other_app]
    assert client.entra_assignment("GET", removed, V).status == 404
    assert client.entra_assignment("GET", kept, V).json["clientIds"] == [app], "not in the patch: untouched"
    assert client.entra_assignment("GET", new, V).json["principalType"] == "group"


def test_bulk_update_that_only_deletes_answers_204(client):
    tenant = guid()
    first, second = guid(), guid()
    for object_id in (first, second):
        client.entra_assignment("PUT", object_id, V, assignment(tenant))
    reply = client.entra_update(V, {first: None, second: None})
    assert reply.status == 204 and reply.raw == b""
    assert client.entra_assignment("GET", first, V).status == 404
    assert client.entra_update(V, {}).status == 204


@pytest.mark.parametrize(("patch", "target"), [
    (lambda good, bad: {good: {"tenantId": guid(), "principalType": "user", "clientIds": [guid()]},
                        bad: {"tenantId": guid(), "principalType": "user", "clientIds": []}}, "{bad}.clientIds"),
    (lambda good, bad: {good: None, bad: {"clientIds": [guid()]}}, "{bad}.tenantId"),
    (lambda good, bad: {good: None, bad: "user"}, "{bad}"),
    (lambda good, bad: {good: None, "not-a-guid": None}, "not-a-guid"),
    (lambda good, bad: {good: None, good.upper(): None}, "{good_upper}"),
])
def test_bulk_update_is_all_or_nothing(client, patch, target):
    tenant, app = guid(), guid()
    good, bad = guid(), guid()
    client.entra_assignment("PUT", good, V, assignment(tenant, client_ids=[app]))
    reply = client.entra_update(V, patch(good, bad))
    assert reply.status == 400 and reply.error["code"] == "ValidationError", reply.raw
    assert reply.error["target"] == target.format(bad=bad, good_upper=good.upper())
    assert client.entra_assignment("GET", good, V).json["clientIds"] == [app], "the valid change was not applied"
    assert client.entra_assignment("GET", bad, V).status == 404


def test_bulk_update_must_be_a_merge_patch(client):
    oid = guid()
    for content_type in ("application/json", "text/plain", ""):
        reply = client.entra_update(V, {oid: assignment(guid())}, content_type=content_type)
        assert reply.status == 415 and reply.error == {**reply.error, "code": "UnsupportedMediaType",
                                                       "target": "Content-Type"}
    assert client.entra_assignment("GET", oid, V).status == 404
    with_charset = client.entra_update(V, {oid: assignment(guid())},
                                       content_type="application/merge-patch+json; charset=utf-8")
    assert with_charset.status == 200
    assert client.entra_update(V, b"").status == 400
    assert client.entra_update(V, b"[]").status == 400
    too_many = client.entra_update(V, {str(uuid.UUID(int=n)): None for n in range(1001)})
    assert too_many.status == 400 and too_many.error["target"] == "body"


# -- the paged listing ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def listing():
    """An emulator of its own, so the listing holds only what these tests put there."""
    with running_emulator() as emulator:
        emulator.set_entra_page_size(2)
        yield emulator, RawClient(emulator.endpoint, emulator.access_key)


def ordered_ids(count):
    """Object ids in the listing's order (ascending), each test's own."""
    return sorted(guid() for _ in range(count))


def follow(client, link):
    assert link.startswith(f"{client.scheme}://{client.host}/access/entra/assignments?"), link
    reply = client.send("GET", link[len(f"{client.scheme}://{client.host}"):])
    assert reply.status == 200, reply.raw
    return reply.json


def clear(client):
    for item in every_page(client):
        assert client.entra_assignment("DELETE", item["objectId"], V).status == 204


def every_page(client):
    page = client.entra_list(V).json
    items = list(page["value"])
    while "nextLink" in page:
        page = follow(client, page["nextLink"])
        items += page["value"]
    return items


def test_listing_pages_through_every_assignment_in_object_id_order(listing):
    emulator, client = listing
    clear(client)
    assert client.entra_list(V).json == {"value": []}
    ids = ordered_ids(5)
    tenant = guid()
    for object_id in ids:
        client.entra_assignment("PUT", object_id, V, assignment(tenant))
    pages = [client.entra_list(V).json]
    while "nextLink" in pages[-1]:
        pages.append(follow(client, pages[-1]["nextLink"]))
    assert [len(page["value"]) for page in pages] == [2, 2, 1]
    assert [item["objectId"] for page in pages for item in page["value"]] == ids
    assert "nextLink" not in pages[-1]
    emulator.set_entra_page_size(None)
    assert len(client.entra_list(V).json["value"]) == 5, "the default page (100) holds them all"
    emulator.set_entra_page_size(2)


def test_a_listing_continues_after_its_last_object_id_whatever_changes_meanwhile(listing):
    """Keyset paging: an assignment present for the whole listing is seen exactly once; one created
    behind the cursor is not seen, one created ahead of it is; deleted ones ahead of it are not seen."""
    emulator, client = listing
    clear(client)
    tenant = guid()
    a, b, c, d, e = ordered_ids(5)
    for object_id in (b, c, d, e):
        client.entra_assignment("PUT", object_id, V, assignment(tenant))
    first = client.entra_list(V).json
    assert [item["objectId"] for item in first["value"]] == [b, c]
    client.entra_assignment("PUT", a, V, assignment(tenant))             # behind the cursor
    client.entra_assignment("DELETE", c, V)                              # the cursor's own item
    client.entra_assignment("PUT", d, V, assignment(tenant, "group"))    # ahead, replaced
    client.entra_assignment("DELETE", e, V)                              # ahead, deleted
    late = "ffffffff" + guid()[8:]
    client.entra_assignment("PUT", late, V, assignment(tenant))          # ahead, created
    second = follow(client, first["nextLink"])
    assert [item["objectId"] for item in second["value"]] == [d, late]
    assert second["value"][0]["principalType"] == "group", "a page shows the assignments as they are when read"
    assert "nextLink" not in second


def test_a_skip_token_the_emulator_did_not_write_is_refused(listing):
    _, client = listing
    for token in ("nonsense", "%25", "bm90LWEtZ3VpZA"):
        reply = client.entra_list(V, f"&skipToken={token}")
        assert reply.status == 400 and reply.error["target"] == "skipToken", token


@pytest.mark.parametrize("size", [0, 1001, "2", True, 2.5])
def test_the_page_size_setting_is_checked(emulator, size):
    before = emulator.admin("GET", "settings")
    with pytest.raises(Exception, match="entraPageSize"):
        emulator.admin("POST", "settings", {"entraPageSize": size, "tokenTtlSeconds": 5})
    assert emulator.admin("GET", "settings") == before, "a refused update changes nothing"


# -- the exchange -------------------------------------------------------------------------------------

def test_exchange_for_a_user_assignment(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    entra = entra_token(emulator, tenant, oid, app.upper(), expires_in=1800)
    reply = exchanged(client, entra)
    resource = resource_of(client)
    assert reply["identity"] == {"id": f"8:acs:{resource}_wf_{tenant}_{oid}"}
    claims = decode_jwt(reply["accessToken"]["token"])[1]
    assert claims["skypeid"] == f"acs:{resource}_wf_{tenant}_{oid}"
    assert claims["exp"] == decode_jwt(entra)[1]["exp"], "expires with the Entra ID token"
    assert claims["acsScope"] == "chat,voip"
    assert emulator.token_status(reply["accessToken"]["token"])["valid"] is True
    assert client.exchange_entra(V, entra, body=b"").status == 200, "no body is fine too"
    not_stored = client.issue(reply["identity"]["id"], V, {"scopes": ["chat"]})
    assert not_stored.status == 404 and not_stored.error["code"] == "IdentityNotFound", "not in the identity store"
    v2 = emulator.mint_aad_token(profile="entraUser", tid=tenant, oid=oid, azp=app)
    assert client.exchange_entra(V, v2).status == 200, "azp (v2 tokens) names the client application too"


def test_exchange_through_a_group_assignment(client, emulator):
    tenant, group, app = guid(), guid(), guid()
    member, outsider = guid(), guid()
    client.entra_assignment("PUT", group, V, assignment(tenant, "group", [app]))
    assert client.exchange_entra(V, entra_token(emulator, tenant, member, app, groups=[guid(), group.upper()])
                                 ).status == 200
    refused = client.exchange_entra(V, entra_token(emulator, tenant, outsider, app, groups=[guid()]))
    assert refused.status == 403 and refused.error["code"] == "Forbidden"
    other_tenant = client.exchange_entra(V, entra_token(emulator, guid(), member, app, groups=[group]))
    assert other_tenant.status == 403, "a group assignment covers its own tenant's members only"


def test_exchange_through_a_tenant_assignment(client, emulator):
    tenant, app = guid(), guid()
    client.entra_assignment("PUT", tenant, V, assignment(tenant, "tenant", [app]))
    for _ in range(2):
        assert client.exchange_entra(V, entra_token(emulator, tenant, guid(), app)).status == 200, "any user"
    assert client.exchange_entra(V, entra_token(emulator, guid(), guid(), app)).status == 403, "other tenants: no"


def test_exchange_without_a_covering_assignment_is_forbidden(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    reply = client.exchange_entra(V, entra_token(emulator, tenant, oid, app))
    assert reply.status == 403 and reply.error["code"] == "Forbidden"
    assert oid in reply.error["message"] and tenant in reply.error["message"]
    client.entra_assignment("PUT", oid, V, assignment(guid(), client_ids=[app]))
    assert client.exchange_entra(V, entra_token(emulator, tenant, oid, app)).status == 403, "another tenant's user"


def test_exchange_only_through_a_listed_client_application(client, emulator):
    tenant, oid, group, app, other_app = guid(), guid(), guid(), guid(), guid()
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    refused = client.exchange_entra(V, entra_token(emulator, tenant, oid, other_app))
    assert refused.status == 403 and "clientIds" in refused.error["message"]
    client.entra_assignment("PUT", group, V, assignment(tenant, "group", [other_app]))
    via_group = entra_token(emulator, tenant, oid, other_app, groups=[group])
    assert client.exchange_entra(V, via_group).status == 200, "another covering assignment lists it"


def test_removing_the_covering_assignment_revokes_exchanged_tokens(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    entra = entra_token(emulator, tenant, oid, app)
    first = exchanged(client, entra)["accessToken"]["token"]
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app, guid()]))
    assert emulator.token_status(first)["valid"] is True, "a replace keeps the tokens"
    client.entra_assignment("DELETE", oid, V)
    assert emulator.token_status(first) == {**emulator.token_status(first), "valid": False, "reason": "revoked"}
    assert client.exchange_entra(V, entra).status == 403
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    again = exchanged(client, entra)["accessToken"]["token"]
    assert emulator.token_status(again)["valid"] is True
    assert emulator.token_status(first)["valid"] is False, "assigning again does not revive revoked tokens"
    assert client.entra_update(V, {oid: None}).status == 204
    assert emulator.token_status(again)["reason"] == "revoked", "a bulk update's null removes it too"


def test_a_token_lives_while_one_of_the_assignments_that_granted_it_does(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    client.entra_assignment("PUT", tenant, V, assignment(tenant, "tenant", [app]))
    token = exchanged(client, entra_token(emulator, tenant, oid, app))["accessToken"]["token"]
    client.entra_assignment("DELETE", oid, V)
    assert emulator.token_status(token)["valid"] is True, "its tenant's assignment still grants it"
    client.entra_assignment("DELETE", tenant, V)
    assert emulator.token_status(token)["reason"] == "revoked"


def test_exchange_checks_the_bearer_token(client, emulator):
    tenant, oid, app = guid(), guid(), guid()
    client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
    cases = [
        (None, 401, "Unauthorized"),
        ("not.a.jwt", 401, "InvalidAccessToken"),
        (entra_token(emulator, tenant, oid, app, untrusted=True), 401, "InvalidAccessToken"),
        (entra_token(emulator, tenant, oid, app, expires_in=-60), 401, "InvalidAccessToken"),
        (emulator.mint_teams_extension_user_token(tenant_id=tenant, object_id=oid, client_id=app), 401,
         "InvalidAccessToken"),
        (emulator.mint_aad_token(tid=tenant, oid=oid, appid=app), 401, "InvalidAccessToken"),
        (entra_token(emulator, "contoso", oid, app), 401, "InvalidAccessToken"),
        (entra_token(emulator, tenant, oid, "my-app"), 401, "InvalidAccessToken"),
        (emulator.mint_aad_token(profile="entraUser", tid=tenant, oid=oid, appid=None), 401, "InvalidAccessToken"),
        (entra_token(emulator, tenant, oid, app, claims={"groups": "all"}), 401, "InvalidAccessToken"),
    ]
    for bearer, status, code in cases:
        reply = client.exchange_entra(V, bearer)
        assert (reply.status, reply.error["code"]) == (status, code), (bearer, reply.raw)
        if bearer:
            assert bearer not in reply.raw.decode()
    signed = client.send("POST", f"/access/entra/:exchangeAccessToken?api-version={V}", {})
    assert signed.status == 401 and signed.error["code"] == "InvalidAuthenticationInfo", "the key is not a user"
    assert client.exchange_entra(V, entra_token(emulator, tenant, oid, app), body=b"[]").status == 400


def test_the_development_issuer_mints_user_tokens_for_each_exchange(emulator):
    tenant, oid, app, group = guid(), guid(), guid(), guid()
    entra = decode_jwt(entra_token(emulator, tenant, oid, app, groups=[group]))[1]
    assert (entra["aud"], entra["tid"], entra["oid"], entra["appid"], entra["groups"]) == (
        CLIENTS_AUDIENCE, tenant, oid, app, [group])
    teams = decode_jwt(emulator.mint_teams_extension_user_token(tenant_id=tenant, object_id=oid))[1]
    assert (teams["aud"], teams["scp"]) == ("https://auth.msft.communication.azure.com", "TeamsExtension.ManageCalls")
    explicit = decode_jwt(emulator.mint_aad_token(profile="entraUser", aud="https://example.test", tid=tenant))[1]
    assert explicit["aud"] == "https://example.test", "an explicit aud wins over the profile's"
    for fields in ({"profile": "robot"}, {"groups": "all"}, {"groups": [1]}):
        with pytest.raises(Exception, match="profile|groups"):
            emulator.admin("POST", "aad/token", fields)


def test_assignments_and_their_tokens_survive_a_restart(tmp_path):
    with running_emulator(in_memory=False, data=str(tmp_path / "identity.db")) as emulator:
        client = RawClient(emulator.endpoint, emulator.access_key)
        tenant, oid, app = guid(), guid(), guid()
        client.entra_assignment("PUT", oid, V, assignment(tenant, client_ids=[app]))
        client.entra_assignment("PUT", tenant, V, assignment(tenant, "tenant", [app]))
        token = exchanged(client, entra_token(emulator, tenant, oid, app))["accessToken"]["token"]
        emulator.restart()
        client = RawClient(emulator.endpoint, emulator.access_key)
        assert client.entra_assignment("GET", oid, V).json["clientIds"] == [app]
        assert {item["objectId"] for item in client.entra_list(V).json["value"]} == {oid, tenant}
        assert emulator.token_status(token)["valid"] is True
        assert emulator.admin("GET", "stats")["entraAssignments"] == 2
        client.entra_update(V, {oid: None, tenant: None})
        assert emulator.token_status(token)["reason"] == "revoked"
