"""POST /emulator/reset: a clean state for the next test, with the same keys and connection string."""
from __future__ import annotations

import urllib.request
import uuid

import pytest

from acs_identity_emulator.testing import EmulatorError, running_emulator

from .hmac_client import RawClient

V = "2023-10-01"
PREVIEW = "2025-03-02-preview"
STARTUP_TTL = 120


@pytest.fixture(scope="module")
def emulator():
    # Its own process: a reset must not wipe what other modules keep on the session emulator.
    with running_emulator(args=["--test-token-ttl-seconds", str(STARTUP_TTL)]) as running:
        yield running


def test_reset_forgets_every_identity_and_keeps_the_keys(emulator):
    client = RawClient(emulator.endpoint, emulator.access_key)
    user = client.new_user(V)
    token = client.issue(user, V, {"scopes": ["chat"]}).json["token"]
    custom = client.create(PREVIEW, {"customId": "dana"}).json["identity"]["id"]
    client.delete(client.new_user(V), V)
    kids = [key["kid"] for key in emulator.jwks()["keys"]]
    assert emulator.stats()["identities"] == 2 and emulator.stats()["deletedIdentities"] == 1

    answer = emulator.reset()

    assert (answer["identities"], answer["deletedIdentities"], answer["cachedIdentities"]) == (0, 0, 0)
    assert emulator.token_status(token)["reason"] == "unknown-identity"
    assert client.issue(user, V, {"scopes": ["chat"]}).status == 404
    again = client.create(PREVIEW, {"customId": "dana"})  # the custom id was released with its identity
    assert again.status == 201 and again.json["identity"]["id"] != custom
    # Same access key (this signed request was accepted), same signing key: new tokens validate.
    fresh = client.issue(again.json["identity"]["id"], V, {"scopes": ["voip"]}).json["token"]
    assert emulator.token_status(fresh)["valid"] is True
    assert [key["kid"] for key in emulator.jwks()["keys"]] == kids


def test_reset_forgets_the_assignments_of_both_kinds_and_revokes_their_tokens(emulator):
    client = RawClient(emulator.endpoint, emulator.access_key)
    tenant, user, app = (str(uuid.uuid4()) for _ in range(3))
    entra = {"tenantId": tenant, "principalType": "user", "clientIds": [app]}
    assert client.entra_assignment("PUT", user, PREVIEW, entra).status == 201
    assert client.assignment("PUT", tenant, user, PREVIEW, {"principalType": "user"}).status == 201
    entra_token = client.exchange_entra(PREVIEW, emulator.mint_entra_user_token(
        tenant_id=tenant, object_id=user, client_id=app)).json["accessToken"]["token"]
    teams_token = client.exchange_teams_extension(PREVIEW, emulator.mint_teams_extension_user_token(
        tenant_id=tenant, object_id=user)).json["accessToken"]["token"]
    assert (emulator.stats()["entraAssignments"], emulator.stats()["teamsExtensionAssignments"]) == (1, 1)

    answer = emulator.reset()

    assert (answer["entraAssignments"], answer["teamsExtensionAssignments"]) == (0, 0)
    assert client.entra_list(PREVIEW).json == {"value": []}
    assert client.entra_assignment("GET", user, PREVIEW).status == 404
    assert client.assignment("GET", tenant, user, PREVIEW).status == 404
    assert [emulator.token_status(token)["reason"] for token in (entra_token, teams_token)] == ["revoked"] * 2
    # A principal assigned again after the reset does not bring the old tokens back.
    assert client.entra_assignment("PUT", user, PREVIEW, entra).status == 201
    assert emulator.token_status(entra_token)["reason"] == "revoked"


def test_reset_clears_faults_and_restores_the_startup_settings(emulator):
    emulator.set_token_ttl_seconds(5)
    emulator.set_clock_offset_seconds(600)
    emulator.set_entra_page_size(2)
    emulator.inject_fault(status=503, count=5)

    emulator.reset()

    assert emulator.admin("GET", "settings") == {"tokenTtlSeconds": STARTUP_TTL, "clockOffsetSeconds": 0,
                                                 "entraPageSize": 100}
    assert emulator.admin("GET", "faults") == {"faults": []}
    assert RawClient(emulator.endpoint, emulator.access_key).create(V).status == 201


def test_reset_takes_no_options_and_only_post(emulator):
    emulator.reset()
    client = RawClient(emulator.endpoint, emulator.access_key)
    client.new_user(V)
    with pytest.raises(EmulatorError, match="400"):
        emulator.admin("POST", "reset", {"keep": "identities"})
    assert emulator.admin("POST", "reset", {})["identities"] == 0
    with pytest.raises(EmulatorError, match="405"):
        emulator.admin("GET", "reset")
    request = urllib.request.Request(emulator.endpoint + "/emulator/reset", method="POST")  # no body at all
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_a_reset_of_a_data_file_survives_a_restart(tmp_path):
    with running_emulator(data=str(tmp_path / "identity.db")) as emulator:
        user = RawClient(emulator.endpoint, emulator.access_key).new_user(V)
        emulator.reset()
        emulator.restart()
        client = RawClient(emulator.endpoint, emulator.access_key)
        assert client.issue(user, V, {"scopes": ["chat"]}).status == 404
        assert emulator.stats()["identities"] == 0
