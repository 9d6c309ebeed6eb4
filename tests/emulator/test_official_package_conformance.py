"""The official azure-communication-identity 1.x package, unchanged, against the emulator.

The official client always speaks HTTPS (it fails with an SSL error on an http:// endpoint), so the
emulator runs with --tls and the client trusts the emulator's CA via connection_verify. The
package is installed from PyPI into a cached virtualenv (needs network access to PyPI).
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import venv

import pytest

from acs_identity_emulator.testing import running_emulator

from .hmac_client import decode_jwt

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV = os.environ.get("ACS_OFFICIAL_VENV") or os.path.join(REPO, ".bench", "official-venv")
SCRIPT = os.path.join(os.path.dirname(__file__), "official_client_script.py")
REQUIREMENT = "azure-communication-identity>=1,<2"


def _python() -> str:
    return os.path.join(VENV, "bin", "python")


def _has_package() -> bool:
    if not os.path.exists(_python()):
        return False
    probe = subprocess.run([_python(), "-c", "import azure.communication.identity"],
                           check=False, capture_output=True, timeout=60)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def official_python():
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    # Other suites (bench) may build the same cached venv at the same time.
    with open(VENV + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _has_package():
            if not os.path.exists(_python()):
                venv.create(VENV, with_pip=True)
            subprocess.run([_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            REQUIREMENT], check=True, timeout=600)
    assert _has_package()
    return _python()


def run_official(python: str, emulator, version: str) -> dict:
    result = subprocess.run([python, SCRIPT, emulator.connection_string, version, emulator.ca_cert],
                            check=False, capture_output=True, timeout=120, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_official_package_2021_03_07(official_python):
    with running_emulator(tls=True) as emulator:
        result = run_official(official_python, emulator, "2021-03-07")
        assert result["done"] is True
        assert emulator.token_status(result["token"])["reason"] == "revoked"
        assert emulator.token_status(result["created_token"])["reason"] == "deleted"
        assert decode_jwt(result["created_token"])[1]["acsScope"] == "chat"


@pytest.mark.slow
def test_official_package_2023_10_01_lifetimes_and_join_scopes(official_python):
    with running_emulator(tls=True) as emulator:
        result = run_official(official_python, emulator, "2023-10-01")
        claims = decode_jwt(result["created_token"])[1]
        assert claims["acsScope"] == "chat.join,voip.join"
        assert claims["exp"] - claims["iat"] == 90 * 60
        fetched = decode_jwt(result["token"])[1]
        assert fetched["exp"] - fetched["iat"] == 90 * 60
        assert emulator.token_status(result["token"])["reason"] == "revoked"
