"""``acs-identity`` end to end: the console script as a real process against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple, Optional

import pytest

from azure.communication.identity._token_utils import decode_access_token

SCRIPT = str(Path(sys.executable).with_name("acs-identity"))
PREVIEW = "2025-03-02-preview"
TEAMS_APP = "2b4c1e7d-0000-4000-8000-0000000000c1"
TEAMS_USER = "2b4c1e7d-0000-4000-8000-0000000000d2"
TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"


class Run(NamedTuple):
    code: int
    stdout: str
    stderr: str

    def json(self):
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


def acs_identity(*args: str, connection_string: Optional[str] = None, env_name: str = "COMMUNICATION_CONNECTION_STRING",
                 stdin: Optional[str] = None, command=(SCRIPT,)) -> Run:
    env = {k: v for k, v in os.environ.items() if "CONNECTION_STRING" not in k}
    if connection_string is not None:
        env[env_name] = connection_string
    done = subprocess.run([*command, *args], capture_output=True, text=True, input=stdin, env=env, timeout=60,
                          check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(run: Run, code: int, *secrets: str) -> str:
    assert run.code == code, run
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith("acs-identity: error: ")
    for secret in secrets:
        assert secret not in run.stderr
    return line


@pytest.fixture
def cs(emulator):
    return emulator.connection_string


def _new_user(cs) -> str:
    return acs_identity("--json", "user", "create", connection_string=cs).json()["user_id"]


def test_user_create_prints_the_new_id_as_text_or_json(emulator, cs):
    text = acs_identity("user", "create", connection_string=cs)
    assert text.code == 0, text.stderr
    label, user_id = text.stdout.split()
    assert label == "user:" and user_id.startswith("8:acs:")
    created = acs_identity("user", "create", "--json", connection_string=cs).json()
    assert set(created) == {"user_id"} and created["user_id"] != user_id
    issued = acs_identity("--json", "token", "issue", created["user_id"], "--scopes", "chat", connection_string=cs)
    assert emulator.token_status(issued.json()["token"])["valid"] is True


def test_token_issue_with_scopes_and_lifetime(emulator, cs):
    user = _new_user(cs)
    issued = acs_identity("token", "issue", user, "--scopes", "chat,voip", "--expires-in", "1h30m", "--json",
                          connection_string=cs).json()
    assert issued["user_id"] == user
    info = decode_access_token(issued["token"])
    assert sorted(info.scopes) == ["chat", "voip"] and info.user_id == user
    expires_on = datetime.fromisoformat(issued["expires_on"])
    assert abs(expires_on - (datetime.now(timezone.utc) + timedelta(minutes=90))) < timedelta(minutes=2)
    assert expires_on == info.expires_on
    # az's spelling: --user and a space-separated --scope.
    again = acs_identity("token", "issue", "--user", user, "--scope", "voip", "chat", connection_string=cs)
    assert again.code == 0, again.stderr
    lines = dict(line.split(":", 1) for line in again.stdout.splitlines())
    assert set(lines) == {"user", "token", "expires on"}
    assert lines["user"].strip() == user
    assert sorted(decode_access_token(lines["token"].strip()).scopes) == ["chat", "voip"]
    assert emulator.token_status(lines["token"].strip())["valid"] is True


def test_a_token_for_a_new_user_as_az_does_or_with_user_and_token_create(emulator, cs):
    for command in (["token", "issue"], ["user-and-token", "create"]):
        created = acs_identity(*command, "--scopes", "voip", "--json", connection_string=cs).json()
        assert set(created) == {"user_id", "token", "expires_on"}
        assert decode_access_token(created["token"]).user_id == created["user_id"]
        assert emulator.token_status(created["token"])["valid"] is True


def test_revoke_then_delete(emulator, cs):
    user = _new_user(cs)
    token = acs_identity("--json", "token", "issue", user, "--scopes", "chat", connection_string=cs).json()["token"]
    revoked = acs_identity("token", "revoke", user, connection_string=cs)
    assert (revoked.code, revoked.stdout.strip()) == (0, f"revoked every token issued to {user}")
    assert emulator.token_status(token)["reason"] == "revoked"
    assert acs_identity("user", "delete", user, "--json", connection_string=cs).json() == {"user_id": user,
                                                                                            "deleted": True}
    gone = acs_identity("token", "issue", user, "--scopes", "chat", connection_string=cs)
    line = assert_one_line_error(gone, 1, emulator.access_key)
    assert line.startswith("acs-identity: error: the service answered 404 IdentityNotFound: ")


def test_custom_ids_and_user_get_with_the_preview_api_version(cs):
    first = acs_identity("--api-version", PREVIEW, "--json", "user", "create", "--custom-id", "frontend-7",
                         connection_string=cs).json()["user_id"]
    again = acs_identity("user", "create", "--custom-id", "frontend-7", "--api-version", PREVIEW, "--json",
                         connection_string=cs).json()["user_id"]
    assert again == first
    details = acs_identity("user", "get", first, "--api-version", PREVIEW, "--json", connection_string=cs).json()
    assert details == {"user_id": first, "custom_id": "frontend-7", "last_token_issued_at": None}
    acs_identity("token", "issue", first, "--scopes", "chat", connection_string=cs)
    shown = acs_identity("user", "get", first, "--api-version", PREVIEW, connection_string=cs)
    lines = dict(line.split(": ", 1) for line in shown.stdout.splitlines())
    assert lines["custom id"].strip() == "frontend-7"
    assert datetime.fromisoformat(lines["last token issued at"].strip()).tzinfo is not None
    # The default api-version has no get: the client's own message, and how to pick a version here.
    line = assert_one_line_error(acs_identity("user", "get", first, connection_string=cs), 2)
    assert PREVIEW in line and "--api-version" in line


def test_teams_token_exchange_and_its_az_name(emulator, cs):
    aad_token = emulator.mint_aad_token(oid=TEAMS_USER, appid=TEAMS_APP, aud=TEAMS_AUDIENCE)
    exchanged = acs_identity("teams-token", "exchange", "--aad-token", aad_token, "--client-id", TEAMS_APP,
                             "--user-object-id", TEAMS_USER, "--json", connection_string=cs).json()
    assert set(exchanged) == {"token", "expires_on"}
    assert emulator.token_status(exchanged["token"])["valid"] is True
    from_stdin = acs_identity("token", "get-for-teams-user", "--aad-token", "-", "--client", TEAMS_APP,
                              "--aad-user", TEAMS_USER, "--json", connection_string=cs, stdin=aad_token + "\n").json()
    assert emulator.token_status(from_stdin["token"])["valid"] is True
    # The Azure AD token (a secret) stays out of every message: the client's own check (usage, 2)...
    wrong = acs_identity("teams-token", "exchange", "--aad-token", aad_token, "--client", "someone-else",
                         "--aad-user", TEAMS_USER, connection_string=cs)
    assert "appId does not match" in assert_one_line_error(wrong, 2, aad_token, emulator.access_key)
    # ... and the service's refusal (1).
    untrusted = emulator.mint_aad_token(oid=TEAMS_USER, appid=TEAMS_APP, aud=TEAMS_AUDIENCE, untrusted=True)
    refused = acs_identity("teams-token", "exchange", "--aad-token", untrusted, "--client", TEAMS_APP,
                           "--aad-user", TEAMS_USER, connection_string=cs)
    assert "401 InvalidAccessToken" in assert_one_line_error(refused, 1, untrusted, emulator.access_key)


def test_the_connection_string_from_an_option_or_either_variable(emulator, cs):
    after = acs_identity("user", "create", "--connection-string", cs, "--json")
    before = acs_identity("--connection-string", cs, "user", "create")
    az_variable = acs_identity("--json", "user", "create", connection_string=cs,
                               env_name="AZURE_COMMUNICATION_CONNECTION_STRING")
    module = acs_identity("--json", "user", "create", connection_string=cs,
                          command=(sys.executable, "-m", "azure.communication.identity"))
    assert [run.code for run in (after, before, az_variable, module)] == [0, 0, 0, 0]
    line = assert_one_line_error(acs_identity("user", "create"), 2)
    assert "COMMUNICATION_CONNECTION_STRING" in line


@pytest.mark.parametrize(("args", "says"), [
    (["token", "issue", "8:acs:x", "--scopes", "chat", "--expires-in", "soon"], "'soon' is not a lifetime"),
    (["token", "issue", "8:acs:x", "--scopes", "chat", "--expires-in", "30m"],
     "ValidationError: ExpiresInMinutes value 30 is invalid. Value must be within the [60, 1440] interval"),
    (["token", "issue", "8:acs:x", "--scopes", "chat,teleport"],
     "ValidationError: The scope 'teleport' is not a valid"),
    (["token", "issue", "8:acs:x"], "--scopes"),
    (["token", "revoke"], "a user is needed"),
    (["token", "revoke", "8:acs:a", "--user", "8:acs:b"], "give the user once"),
    (["user"], "required: ACTION"),
    ([], "required: COMMAND"),
    (["user", "create", "--api-version", "1999-01-01"], "1999-01-01"),
], ids=["bad-lifetime", "lifetime-range", "unknown-scope", "no-scopes", "no-user", "two-users", "no-action",
        "no-command", "unknown-api-version"])
def test_usage_errors_exit_2_with_one_line_before_any_request(emulator, cs, args, says):
    before = emulator.stats()["identities"]
    line = assert_one_line_error(acs_identity(*args, connection_string=cs), 2, emulator.access_key)
    assert says in line
    assert emulator.stats()["identities"] == before


def test_service_and_network_errors_exit_1_with_one_line_without_the_key(emulator, closed_port_endpoint):
    wrong_key = "endpoint=" + emulator.endpoint + "/;accesskey=" + "d3Jvbmcta2V5LXdyb25nLWtleQ=="
    line = assert_one_line_error(acs_identity("user", "create", connection_string=wrong_key), 1,
                                 "d3Jvbmcta2V5LXdyb25nLWtleQ==")
    assert "401" in line and "InvalidSignature" in line
    unreachable = f"endpoint={closed_port_endpoint}/;accesskey={emulator.access_key}"
    line = assert_one_line_error(acs_identity("user", "create", connection_string=unreachable), 1,
                                 emulator.access_key)
    assert "no answer from the service (ServiceRequestError)" in line and closed_port_endpoint in line


def test_a_misspelt_option_does_not_echo_a_connection_string(emulator, cs):
    line = assert_one_line_error(acs_identity("user", "create", "--conection", cs), 2, emulator.access_key)
    assert "unrecognized arguments" in line and "accesskey=<redacted>" in line
