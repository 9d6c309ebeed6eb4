"""The distribution: the wheel holds both layers and the emulator, no tests, and works in a new virtualenv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools reuses build/ in the checkout: a module deleted since the last build would ride along.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(out)], check=True, cwd=out)
    (built,) = out.glob("*.whl")
    return built


def test_wheel_holds_both_layers_the_emulator_and_type_markers(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "azure/communication/identity/__init__.py" in names
    assert "azure/communication/identity/aio/__init__.py" in names
    assert "azure/communication/identity/py.typed" in names
    assert "azure/communication/identity/_generated/__init__.py" in names
    assert "azure/communication/identity/_generated/aio/operations/_communication_identity_operations.py" in names
    assert "azure/communication/identity/_generated/py.typed" in names
    assert "acs_identity_emulator/__main__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "tests\\")) or "/tests/" in n]
    assert not [n for n in names if n.startswith(("swagger/", "samples/", "bench/", "node_modules/"))]
    assert not [n for n in names if n.startswith("azure/__init__") or n.startswith("azure/communication/__init__")]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    for requirement in ("Requires-Dist: azure-core", "Requires-Dist: msrest", "Requires-Dist: isodate",
                        'Requires-Dist: aiohttp>=3.8; extra == "aio"'):
        assert requirement in text


@pytest.mark.slow
def test_installed_wheel_imports_the_generated_and_public_clients(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                   check=True)
    script = (
        "from azure.communication.identity._generated import CommunicationIdentityClient as G\n"
        "from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope\n"
        "import azure.communication.identity as pkg\n"
        "assert '/site-packages/' in pkg.__file__, pkg.__file__\n"
        "print(G.__name__, CommunicationIdentityClient.__name__, CommunicationTokenScope('CHAT').value)\n"
    )
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CommunicationIdentityClient", "CommunicationIdentityClient", "chat"]
