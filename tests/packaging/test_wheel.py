"""The two distributions: the client wheel carries no server, the emulator wheel needs no client, and
each works alone in a new virtualenv."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from acs_identity_emulator.testing import parse_connection_string, running_emulator
from azure.communication.identity import CommunicationIdentityClient

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30


def _metadata(wheel: Path):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    entry_points = archive.read(f"{info}/entry_points.txt").decode() if f"{info}/entry_points.txt" in names else ""
    return names, Parser().parsestr(archive.read(f"{info}/METADATA").decode()), entry_points


def _unconditional(requirements):
    """Names of the requirements that hold without an extra."""
    return sorted(re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in requirements if ";" not in r)


def test_client_wheel_holds_both_layers_the_cli_and_no_emulator(wheels):
    names, metadata, entry_points = _metadata(wheels["client"])
    assert "azure/communication/identity/__init__.py" in names
    assert "azure/communication/identity/aio/__init__.py" in names
    assert "azure/communication/identity/py.typed" in names
    assert "azure/communication/identity/_cli.py" in names
    assert "azure/communication/identity/__main__.py" in names
    assert "azure/communication/identity/_generated/__init__.py" in names
    assert "azure/communication/identity/_generated/aio/operations/_communication_identity_operations.py" in names
    assert "azure/communication/identity/_generated/py.typed" in names
    assert not [n for n in names if not n.startswith(("azure/communication/identity/", metadata["Name"].replace(
        "-", "_")))], "only the package and its metadata"
    assert not [n for n in names if "emulator" in n.lower()]
    assert not [n for n in names if n.startswith("azure/__init__") or n.startswith("azure/communication/__init__")]
    assert "acs-identity = azure.communication.identity._cli:main" in entry_points
    assert "acs-identity-emulator" not in entry_points and "pytest11" not in entry_points
    requirements = metadata.get_all("Requires-Dist")
    assert "azure-core" in _unconditional(requirements)
    assert not {"aiohttp", "cryptography"} & set(_unconditional(requirements)), "the emulator's dependencies stay out"
    assert 'aiohttp>=3.8; extra == "aio"' in requirements
    assert "emulator" not in metadata.get_all("Provides-Extra")


def test_emulator_wheel_holds_exactly_the_emulator_modules_and_its_entry_points(wheels):
    names, metadata, entry_points = _metadata(wheels["emulator"])
    modules = sorted(n for n in names if not n.startswith("acs_identity_emulator-"))
    assert modules == sorted(f"acs_identity_emulator/{p.name}" for p in (ROOT / "emulator").glob("*.py"))
    assert "acs_identity_emulator/pytest_plugin.py" in modules
    assert metadata["Name"] == "acs-identity-emulator"
    assert _unconditional(metadata.get_all("Requires-Dist")) == ["aiohttp", "cryptography"]
    assert "acs-identity-emulator = acs_identity_emulator.__main__:main" in entry_points
    assert "[pytest11]\nacs_identity_emulator = acs_identity_emulator.pytest_plugin" in entry_points


def _run(python: Path, code: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False, **kwargs)


@pytest.mark.slow
def test_client_alone_imports_runs_the_cli_and_has_no_server(client_venv, tmp_path):
    python = client_venv / "python"
    script = (
        "from azure.communication.identity._generated import CommunicationIdentityClient as G\n"
        "from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope\n"
        "import azure.communication.identity as pkg\n"
        "assert '/site-packages/' in pkg.__file__, pkg.__file__\n"
        "print(G.__name__, CommunicationIdentityClient.__name__, CommunicationTokenScope('CHAT').value)\n"
    )
    result = _run(python, script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CommunicationIdentityClient", "CommunicationIdentityClient", "chat"]
    assert "ModuleNotFoundError" in _run(python, "import acs_identity_emulator", cwd=tmp_path).stderr
    assert not (client_venv / "acs-identity-emulator").exists()

    with running_emulator(in_memory=True) as emulator:
        done = subprocess.run([str(client_venv / "acs-identity"), "--json", "user", "create"], capture_output=True,
                              text=True, check=False, cwd=tmp_path,
                              env=dict(os.environ, COMMUNICATION_CONNECTION_STRING=emulator.connection_string))
        assert done.returncode == 0, done.stderr
        user_id = json.loads(done.stdout)["user_id"]
        assert emulator.stats()["identities"] == 1
    assert user_id.startswith("8:acs:")


@pytest.mark.slow
def test_emulator_alone_serves_signed_requests_without_the_client(emulator_venv, tmp_path):
    python = emulator_venv / "python"
    assert "ModuleNotFoundError" in _run(python, "import azure.communication.identity", cwd=tmp_path).stderr
    assert "ModuleNotFoundError" in _run(python, "import azure.core", cwd=tmp_path).stderr
    # Every module imports with the emulator's own dependencies (the plugin needs only pytest, which
    # loads it); none reaches for the client.
    modules = sorted(p.stem for p in (ROOT / "emulator").glob("*.py") if p.stem not in ("__main__", "pytest_plugin"))
    imported = _run(python, "".join(f"import acs_identity_emulator.{m}\n" for m in modules), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    plugins = _run(python, "from importlib.metadata import entry_points\n"
                           "print([e.value for e in entry_points(group='pytest11')])", cwd=tmp_path)
    assert plugins.stdout.strip() == "['acs_identity_emulator.pytest_plugin']", plugins.stderr

    process = subprocess.Popen([str(emulator_venv / "acs-identity-emulator"), "--in-memory"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = {}
        reader = threading.Thread(target=lambda: line.setdefault("first", process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        connection_string = line.get("first", "").strip()
        endpoint = parse_connection_string(connection_string)["endpoint"]
        with CommunicationIdentityClient.from_connection_string(connection_string) as client:
            user, token = client.create_user_and_token(["chat"])
        request = urllib.request.Request(endpoint + "/emulator/tokens/validate", method="POST",
                                         data=json.dumps({"token": token.token}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["valid"] is True
        assert user.raw_id.startswith("8:acs:")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
