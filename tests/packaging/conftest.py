"""Both wheels, built once per session from this checkout, and fresh virtualenvs holding one each."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"client": ROOT, "emulator": ROOT / "emulator"}
WHEEL_NAMES = {"client": "azure_communication_identity*.whl", "emulator": "acs_identity_emulator-*.whl"}


@pytest.fixture(scope="session")
def wheels(tmp_path_factory) -> Dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    built = {}
    for kind, source in SOURCES.items():
        # setuptools reuses build/ in the source folder: a module deleted since the last build would ride along.
        shutil.rmtree(source / "build", ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                        "--quiet", "--disable-pip-version-check", "-w", str(out / kind)], check=True, cwd=out)
        shutil.rmtree(source / "build", ignore_errors=True)
        (built[kind],) = (out / kind).glob(WHEEL_NAMES[kind])
    return built


def _venv_with(tmp_path_factory, wheel: Path) -> Path:
    """A new virtualenv with ``wheel`` and its dependencies, nothing else; returns its bin folder."""
    env = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    # This interpreter's pip installs into the new one (pip >= 22.3): no pip bootstrap per virtualenv.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True)
    return env / "bin"


@pytest.fixture(scope="session")
def client_venv(tmp_path_factory, wheels) -> Path:
    return _venv_with(tmp_path_factory, wheels["client"])


@pytest.fixture(scope="session")
def emulator_venv(tmp_path_factory, wheels) -> Path:
    return _venv_with(tmp_path_factory, wheels["emulator"])
