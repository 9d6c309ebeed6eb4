"""Our package as users get it: built from this checkout and installed (not editable) into ``.bench/ours-venv``.

The development ``.venv`` has the package installed in editable mode, whose import hook alone costs
about 14 ms at start-up; measuring that against the official package's regular install would not be
fair to either. Dependencies are installed once; the package itself is reinstalled on every run so
the figures are always those of the code in the checkout.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMULATOR = os.path.join(ROOT, "emulator")  # its own distribution; the bench drives its load generator
VENV = os.path.join(ROOT, ".bench", "ours-venv")
PYTHON = os.path.join(VENV, "bin", "python")
_PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def ensure() -> str:
    """Create the virtualenv if needed, install the checkout into it; returns its python."""
    fresh = not os.path.exists(PYTHON)
    if fresh:
        print(f"bench: creating {os.path.relpath(VENV, ROOT)} (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([PYTHON, *_PIP, f"{ROOT}[aio]", EMULATOR], check=True)
    # The builds below run without isolation, on this venv's setuptools: the emulator's pyproject.toml
    # needs 77+ (an SPDX license), newer than what venv bootstraps (and than older bench venvs hold).
    subprocess.run([PYTHON, *_PIP, "setuptools>=77", "wheel"], check=True)
    # A build without isolation reuses a build/ folder left by the last one, with modules since removed.
    for source in (ROOT, EMULATOR):
        shutil.rmtree(os.path.join(source, "build"), ignore_errors=True)
    subprocess.run([PYTHON, *_PIP, "--no-deps", "--no-build-isolation", "--force-reinstall", ROOT, EMULATOR],
                   check=True, cwd=VENV)
    return PYTHON
