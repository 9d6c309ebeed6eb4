"""One project with the official package: install, upgrade over it, be replaced by it, uninstall.

The distribution is named ``azure-communication-identity`` (a version above the official 1.5.0), so
pip treats ours and the official as two releases of the same project: installing one uninstalls the
other whole (no mix of files), dependents' ``azure-communication-identity>=1.x`` requirements are met
by ours, and uninstalling leaves nothing behind.

Each scenario runs in a fresh virtualenv without pip of its own (the suite's pip drives it with
``--python``), installing from a local folder: the official 1.5.0 wheel and its dependencies are
downloaded once per session (pip's cache makes later sessions offline), our wheel is built once.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "azure-communication-identity"
OFFICIAL = "1.5.0"


def _pip(*args: str, python: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    if python is not None:
        command += ["--python", str(python)]
    result = subprocess.run(command + list(args), capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    """A --find-links folder: our wheel, the official 1.5.0 wheel and every dependency of both."""
    folder = tmp_path_factory.mktemp("wheels")
    _pip("wheel", str(ROOT), "--no-deps", "--no-build-isolation", "--quiet", "-w", str(folder))
    (built,) = folder.glob("azure_communication_identity-*.whl")
    # Two downloads: one resolution cannot hold two releases of one project.
    for requirement in (str(built), f"{PROJECT}=={OFFICIAL}"):
        result = _pip("download", "--quiet", "--only-binary=:all:", "-d", str(folder), requirement, check=False)
        assert result.returncode == 0, f"cannot fetch {requirement} and its dependencies:\n{result.stderr}"
    return folder


@pytest.fixture(scope="module")
def ours(index) -> Path:
    (wheel,) = [w for w in index.glob("azure_communication_identity-*.whl") if f"-{OFFICIAL}-" not in w.name]
    return wheel


@pytest.fixture
def python(tmp_path) -> Path:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    return env / "bin" / "python"


def _install(python: Path, index: Path, *requirements: str) -> str:
    return _pip("install", "--no-index", "--find-links", str(index), *requirements, python=python).stdout


def _run(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False, cwd=python.parent)


def _package_dir(python: Path) -> Path:
    (site,) = (python.parent.parent / "lib").glob("python*/site-packages")
    return site / "azure" / "communication" / "identity"


def _installed_version(python: Path) -> str:
    result = _run(python, f"import importlib.metadata as m; print(m.version({PROJECT!r}))")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _our_version() -> str:
    namespace: dict = {}
    exec((ROOT / "customizations" / "_version.py").read_text(), namespace)
    return namespace["VERSION"]


def test_our_version_is_a_plain_release_above_the_official_one():
    parts = _our_version().split(".")
    assert all(part.isdigit() for part in parts), "a plain release: pre-releases are skipped by pip by default"
    assert tuple(map(int, parts)) > tuple(map(int, OFFICIAL.split(".")))


def test_ours_installs_meets_dependents_requirements_and_uninstalls_cleanly(python, index, ours):
    _install(python, index, str(ours))
    assert _installed_version(python) == _our_version()
    # A dependent's requirement on the official project is met by ours: pip changes nothing, even with -U
    # while the index offers the official 1.5.0.
    kept = _install(python, index, "--upgrade", f"{PROJECT}>=1.0")
    assert "Requirement already satisfied" in kept and "Uninstalling" not in kept
    code = ("from azure.communication.identity import CommunicationIdentityClient, __version__\n"
            "from azure.communication.identity._shared.utils import parse_connection_str\n"
            "print(__version__, parse_connection_str('endpoint=https://r.communication.azure.com/;accesskey=a2V5'))")
    result = _run(python, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == _our_version()
    _pip("uninstall", "--yes", PROJECT, python=python)
    assert _run(python, "import azure.communication.identity").returncode != 0
    assert not _package_dir(python).exists()


def test_ours_replaces_the_official_whole_and_the_official_replaces_ours_whole(python, index, ours):
    _install(python, index, f"{PROJECT}=={OFFICIAL}")
    package = _package_dir(python)
    assert (package / "_utils.py").exists()  # a module only the official package has
    upgraded = _install(python, index, str(ours))
    assert f"Successfully uninstalled {PROJECT}-{OFFICIAL}" in upgraded
    assert _installed_version(python) == _our_version()
    assert not (package / "_utils.py").exists() and (package / "_errors.py").exists()
    assert _pip("check", python=python).returncode == 0
    # Installing the official release later (another package pins it, say) swaps the project back whole.
    downgraded = _install(python, index, f"{PROJECT}=={OFFICIAL}")
    assert f"Successfully uninstalled {PROJECT}-{_our_version()}" in downgraded
    assert _installed_version(python) == OFFICIAL
    assert (package / "_utils.py").exists() and not (package / "_errors.py").exists()
    _pip("uninstall", "--yes", PROJECT, python=python)
    assert not package.exists()
