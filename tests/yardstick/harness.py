"""The yardstick: the official package's own test suite, run LIVE against the emulator, with each package.

The official ``azure-communication-identity`` 1.5.0 sdist ships its tests. This harness downloads
it from the package index (nothing of it is committed), starts a real emulator process over TLS,
and runs that suite twice in a subprocess: once with the official package importable, once with
ours (a wheel built from this checkout), each alone on ``PYTHONPATH`` in front of one shared
virtualenv that holds only the test tools (pytest, azure-identity, msal, ...) and the dependencies.
It records each test's outcome (``shim/yardstick_report.py``) and compares them. The sdist's
two sample scripts run too, with each package (passed when the script exits 0).

Everything the official suite reads comes from the emulator: the connection string, a managed
identity for ``DefaultAzureCredential`` (``IDENTITY_ENDPOINT``), an ADFS-style authority with a
development user for msal's username-password flow (the Teams-user tests), and an expired Teams
token. ``devtools_testutils`` (the Azure SDK repository's recording helpers) is replaced by
``shim/devtools_testutils``, live mode only.

``python tests/yardstick/harness.py`` runs it and prints the per-file table. Downloads, the
virtualenv and the official package are cached in ``.yardstick/`` (gitignored) and reused while
their inputs are unchanged; our wheel is rebuilt on every run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
SHIM = Path(__file__).resolve().parent / "shim"
CACHE = ROOT / ".yardstick"
PROJECT = "azure-communication-identity"
OFFICIAL_VERSION = "1.5.0"
# What the official tests import besides the package; the package's own dependencies come with it.
TOOLS = ["pytest>=7.4", "pytest-asyncio>=0.23", "azure-identity>=1.15", "msal>=1.24", "python-dateutil>=2.8",
         "aiohttp>=3.8", "azure-core>=1.31.0", "msrest>=0.7.1", "isodate>=0.6.1", "typing-extensions>=4.0.1"]
TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"
M365_APP_ID = "0b1c5f7e-3a2d-4e8f-9a6b-7c5d4e3f2a1b"
MSAL_USERNAME = "teams-user@contoso.test"
MSAL_PASSWORD = "development-password"
SUITE_TIMEOUT_SECONDS = 600
OUTCOMES = ("passed", "failed", "error", "skipped")


def _pip(*args: str, python: Optional[Path] = None) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    if python is not None:
        command += ["--python", str(python)]
    result = subprocess.run(command + list(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _fresh(stamp: Path, key: str) -> bool:
    return stamp.exists() and stamp.read_text() == key


def official_tests(cache: Path = CACHE) -> Path:
    """The ``tests/`` folder of the official sdist (downloaded once), with a pytest.ini for running it.

    Its ``samples/`` folder is extracted next to it.
    """
    target = cache / f"official-{OFFICIAL_VERSION}"
    if not ((target / "tests" / "conftest.py").exists() and (target / "samples").is_dir()):
        downloads = cache / "sdist"
        _pip("download", "--no-deps", "--no-binary", ":all:", "-d", str(downloads), f"{PROJECT}=={OFFICIAL_VERSION}")
        (sdist,) = downloads.glob(f"azure*communication*identity-{OFFICIAL_VERSION}.tar.gz")
        shutil.rmtree(target, ignore_errors=True)
        with tarfile.open(sdist) as archive:
            root = archive.getnames()[0].split("/", 1)[0] + "/"
            members = [m for m in archive.getmembers() if m.name.startswith((root + "tests/", root + "samples/"))
                       and m.isfile() and ".." not in Path(m.name).parts]
            for member in members:
                member.name = member.name[len(root):]
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # members' names are checked above
            archive.extractall(target, members=members, **safe)
    # The suite's asyncio tests are written for pytest-asyncio's auto mode, as the Azure SDK repository runs them.
    (target / "tests" / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n"
                                                 "asyncio_default_fixture_loop_scope = function\n")
    return target / "tests"


def tools_python(cache: Path = CACHE) -> Path:
    """A virtualenv with the test tools and the packages' dependencies, but neither package."""
    env = cache / "venv"
    python = env / "bin" / "python"
    stamp = env / "yardstick-tools.txt"
    key = "\n".join(TOOLS)
    if not (python.exists() and _fresh(stamp, key)):
        shutil.rmtree(env, ignore_errors=True)
        venv.EnvBuilder(with_pip=False).create(env)
        _pip("install", *TOOLS, python=python)
        stamp.write_text(key)
    return python


def official_package(cache: Path = CACHE) -> Path:
    """A folder holding only the official package (its dependencies are in the tools virtualenv)."""
    target = cache / f"package-official-{OFFICIAL_VERSION}"
    stamp = target / "yardstick-package.txt"
    if not _fresh(stamp, OFFICIAL_VERSION):
        shutil.rmtree(target, ignore_errors=True)
        _pip("install", "--no-deps", "--target", str(target), f"{PROJECT}=={OFFICIAL_VERSION}")
        stamp.write_text(OFFICIAL_VERSION)
    return target


def our_package(cache: Path = CACHE) -> Path:
    """A folder holding only our package, installed from a wheel built from this checkout now."""
    target = cache / "package-ours"
    wheels = cache / "wheel-ours"
    for folder in (target, wheels, ROOT / "build"):  # setuptools reuses build/: stale modules would ride along
        shutil.rmtree(folder, ignore_errors=True)
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT))
    (wheel,) = wheels.glob("azure_communication_identity-*.whl")
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    return target


def suite_environment(emulator, package: Path, report: Path) -> Dict[str, str]:
    """The environment the official suite reads, every value served by ``emulator`` (started with TLS)."""
    from acs_identity_emulator.identity_provider import user_object_id

    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AZURE_", "COMMUNICATION_", "MSI_", "IDENTITY_", "PYTEST_"))
           and name not in ("PYTHONPATH", "PYTHONHOME", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    expired = emulator.mint_aad_token(aud=TEAMS_AUDIENCE, appid=M365_APP_ID, oid=user_object_id(MSAL_USERNAME),
                                      expires_in=-3600)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(package), str(SHIM)]),
        "YARDSTICK_REPORT": str(report),
        "AZURE_TEST_RUN_LIVE": "true",
        "COMMUNICATION_LIVETEST_DYNAMIC_CONNECTION_STRING": emulator.connection_string,
        # DefaultAzureCredential -> ManagedIdentityCredential (App Service protocol) -> the emulator.
        "IDENTITY_ENDPOINT": emulator.endpoint + "/emulator/msi/token",
        "IDENTITY_HEADER": "yardstick",
        # msal's username-password flow against the emulator's development authority.
        "COMMUNICATION_M365_APP_ID": M365_APP_ID,
        "COMMUNICATION_M365_AAD_AUTHORITY": emulator.endpoint,
        "COMMUNICATION_M365_AAD_TENANT": "adfs",
        "COMMUNICATION_MSAL_USERNAME": MSAL_USERNAME,
        "COMMUNICATION_MSAL_PASSWORD": MSAL_PASSWORD,
        "COMMUNICATION_EXPIRED_TEAMS_TOKEN": expired,
        "SKIP_INT_IDENTITY_EXCHANGE_TOKEN_TEST": "false",
        # Both packages' clients (requests, aiohttp) and azure-identity/msal trust the emulator's CA.
        "REQUESTS_CA_BUNDLE": emulator.ca_cert,
        "SSL_CERT_FILE": emulator.ca_cert,
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
    })
    return env


@dataclass
class Run:
    """One run of the suite: outcome per test id (``file::class::test[params]``) and what was tested.

    The official samples run too, each as a script: ``samples/<name>.py`` is passed when it exits 0.
    """

    name: str
    package: dict
    tests: Dict[str, str]
    identities_created: int = 0
    output: str = field(default="", repr=False)

    def by_file(self) -> Dict[str, Counter]:
        files: Dict[str, Counter] = {}
        for nodeid, outcome in self.tests.items():
            files.setdefault(test_file(nodeid), Counter())[outcome] += 1
        return files


def test_file(nodeid: str) -> str:
    """The file a test id belongs to (``samples/<name>.py`` for a sample script)."""
    return nodeid.split("::", 1)[0]


def run_suite(name: str, package: Path, tests: Path, python: Path, work: Path) -> Run:
    """Run the official suite with ``package`` against a fresh TLS emulator of its own."""
    from acs_identity_emulator.testing import running_emulator

    report = work / f"report-{name}.json"
    report.unlink(missing_ok=True)
    with running_emulator(in_memory=True, tls=True) as emulator:
        command = [str(python), "-m", "pytest", "-c", str(tests / "pytest.ini"), "-p", "yardstick_report",
                   "-p", "no:cacheprovider", "--continue-on-collection-errors", "-q", "-rN", str(tests)]
        env = suite_environment(emulator, package, report)
        result = subprocess.run(command, cwd=tests, env=env, capture_output=True, text=True,
                                timeout=SUITE_TIMEOUT_SECONDS, check=False)
        samples = {f"samples/{script.name}": _run_sample(python, script, env)
                   for script in sorted((tests.parent / "samples").glob("*.py"))}
        stats = emulator.admin("GET", "stats")
    if not report.exists():
        raise RuntimeError(f"the official suite did not run with the {name} package:\n{result.stdout[-4000:]}\n"
                           f"{result.stderr[-4000:]}")
    document = json.loads(report.read_text())
    created = stats["identities"] + stats["deletedIdentities"]
    output = result.stdout + result.stderr + "".join(text for _, text in samples.values())
    outcomes = dict(document["tests"], **{nodeid: outcome for nodeid, (outcome, _) in samples.items()})
    return Run(name, document["package"], outcomes, created, output)


def _run_sample(python: Path, script: Path, env: Dict[str, str]) -> tuple:
    """Run an official sample script as its README says (the connection string in the environment)."""
    connection_string = env["COMMUNICATION_LIVETEST_DYNAMIC_CONNECTION_STRING"]
    sample_env = dict(env, COMMUNICATION_SAMPLES_CONNECTION_STRING=connection_string)
    result = subprocess.run([str(python), str(script)], cwd=script.parent, env=sample_env, capture_output=True,
                            text=True, timeout=SUITE_TIMEOUT_SECONDS, check=False)
    return ("passed" if result.returncode == 0 else "failed"), f"\n--- {script.name}\n{result.stderr[-2000:]}"


def run_both(cache: Path = CACHE) -> Dict[str, Run]:
    cache.mkdir(exist_ok=True)
    tests = official_tests(cache)
    python = tools_python(cache)
    packages = {"official": official_package(cache), "ours": our_package(cache)}
    return {name: run_suite(name, package, tests, python, cache) for name, package in packages.items()}


def regressions(runs: Dict[str, Run]) -> List[str]:
    """Tests the official package passes and ours does not."""
    official, ours = runs["official"].tests, runs["ours"].tests
    return sorted(nodeid for nodeid, outcome in official.items()
                  if outcome == "passed" and ours.get(nodeid) != "passed")


def report(runs: Dict[str, Run]) -> str:
    """A per-file table of both runs: passed / failed / error / skipped."""
    files = sorted(set().union(*(run.by_file() for run in runs.values())))
    lines = ["| file | official 1.5.0 (pass/fail/error/skip) | ours (pass/fail/error/skip) |", "|---|---|---|"]
    totals = {name: Counter() for name in runs}
    for name_of_file in files:
        cells = []
        for name, run in runs.items():
            counts = run.by_file().get(name_of_file, Counter())
            totals[name].update(counts)
            cells.append("/".join(str(counts[o]) for o in OUTCOMES))
        lines.append(f"| {name_of_file} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join("/".join(str(totals[n][o]) for o in OUTCOMES) for n in runs) + " |")
    for name, run in runs.items():
        lines.append(f"\n{name}: {run.package} - {run.identities_created} identities created on its emulator")
    differing = sorted(n for n in runs["official"].tests if runs["official"].tests[n] != runs["ours"].tests.get(n))
    if differing:
        lines.append("\nTests whose outcome differs (official -> ours):")
        lines += [f"- {n}: {runs['official'].tests[n]} -> {runs['ours'].tests.get(n, 'not collected')}"
                  for n in differing]
    return "\n".join(lines)


if __name__ == "__main__":
    results = run_both()
    print(report(results))
    failed = regressions(results)
    print(f"\n{len(failed)} official passes that ours does not pass" + (":\n" + "\n".join(failed) if failed else ""))
