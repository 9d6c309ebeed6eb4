"""The official ``azure-communication-identity`` (latest 1.x) in its own virtualenv under ``.bench/``.

It has the same import path as our package, so it can never share an interpreter with ours.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

REQUIREMENT = "azure-communication-identity>=1,<2"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".bench", "official-venv")
PYTHON = os.path.join(VENV, "bin", "python")

_PROBE = ("import importlib.metadata as m, azure.communication.identity.aio, aiohttp; "
          "print(m.version('azure-communication-identity'))")


def installed_version(python: str = PYTHON) -> Optional[str]:
    if not os.path.exists(python):
        return None
    probe = subprocess.run([python, "-I", "-c", _PROBE], check=False, capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure() -> tuple[str, str]:
    """Create or reuse the virtualenv; returns (python path, installed version)."""
    version = installed_version()
    if version:
        return PYTHON, version
    print(f"bench: installing {REQUIREMENT} into {os.path.relpath(VENV, ROOT)} (once)", file=sys.stderr)
    if not os.path.exists(PYTHON):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REQUIREMENT,
                    "aiohttp"], check=True)
    version = installed_version()
    if not version:
        raise SystemExit(f"bench: {REQUIREMENT} did not install into {VENV}")
    return PYTHON, version
