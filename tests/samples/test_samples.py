"""Every sample runs as a user would run it: a fresh process, no connection string, its own emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.name for p in (ROOT / "samples").glob("*.py") if p.name != "sample_connection.py")
EXPECTED = {
    "quickstart.py": ["Created user 8:acs:", "Issued a token that expires on", "scopes chat, voip", "Revoked",
                      "Deleted the user. Done."],
    "create_user_and_token.py": ["Created 8:acs:", "its token expires on"],
    "create_user_and_token_async.py": ["Created 8:acs:", "its token expires on"],
    "entra_assignments.py": ["Group assignment created: ", "Bulk update wrote 1 assignment(s)", "Listed group ",
                             "Listed user ", "Removed both assignments"],
    "entra_assignments_async.py": ["Group assignment created: ", "Listed the group: True", "Removed the assignment"],
    "entra_user_credential.py": ["Exchanged the Entra ID user's token: a token valid until",
                                 "The next get_token reuses it: True", "Deleted the assignment"],
    "entra_user_credential_async.py": ["20 callers got 1 token from one exchange", "Deleted the assignment"],
    "issue_token.py": ["chat token expires on", "voip token expires on"],
    "issue_token_async.py": ["chat token expires on", "voip token expires on"],
    "revoke_and_delete.py": ["Revoked every token", "After delete, the service says: "],
    "revoke_and_delete_async.py": ["Revoked every token", "After delete, the service says: "],
    "token_credential.py": ["The credential holds a token valid until epoch second"],
    "token_credential_async.py": ["The credential holds a token valid until epoch second"],
    "teams_extension_assignments.py": ["Created the assignment of 3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c (user), "
                                       "through client apps ['29cf943d-be4d-44bb-9cc4-7cd90c169b14']",
                                       "Read back: TeamsExtensionAssignment(", "Deleted the assignment"],
    "teams_extension_assignments_async.py": ["Created the assignment of 3f9a1c2b-7d4e-4f6a-8b9c-0d1e2f3a4b5c (user), "
                                             "through client apps None", "Deleted the assignment"],
    "teams_phone_user_credential.py": ["Exchanged the Teams Phone user's Entra ID token: a token valid until",
                                       "The next get_token reuses it: True", "Deleted the assignment"],
    "teams_phone_user_credential_async.py": ["20 callers got 1 token from one exchange", "Deleted the assignment"],
}


def test_every_sample_has_expectations():
    missing = [name for name in SAMPLES if name not in EXPECTED]
    assert not missing, f"add expected output for {missing}"


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_runs_against_its_own_emulator(name, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COMMUNICATION_CONNECTION_STRING"}
    result = subprocess.run([sys.executable, str(ROOT / "samples" / name)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for line in EXPECTED[name]:
        assert line in result.stdout, (line, result.stdout, result.stderr)
    assert "accesskey=" not in result.stdout
