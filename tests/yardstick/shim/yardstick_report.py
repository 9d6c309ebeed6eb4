"""pytest plugin (``-p yardstick_report``): each test's outcome and the package under test, as JSON.

Writes ``{"package": <azure.communication.identity file and version>, "tests": {nodeid: outcome}}``
to ``$YARDSTICK_REPORT`` at the end of the session. Outcomes: passed, failed, error (setup,
teardown or collection), skipped.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict

_outcomes: Dict[str, str] = {}


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _outcomes[report.nodeid] = "error"


def pytest_runtest_logreport(report: Any) -> None:
    if report.skipped:
        _outcomes[report.nodeid] = "skipped"
    elif report.failed:
        _outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    try:
        import azure.communication.identity as package

        under_test = {"file": package.__file__, "version": getattr(package, "__version__", None)}
        if under_test["version"] is None:
            from azure.communication.identity._version import VERSION

            under_test["version"] = VERSION
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the outcomes matter more
        under_test = {"error": repr(exc)}
    with open(os.environ["YARDSTICK_REPORT"], "w", encoding="utf-8") as handle:
        json.dump({"package": under_test, "tests": _outcomes}, handle, indent=1, sort_keys=True)
