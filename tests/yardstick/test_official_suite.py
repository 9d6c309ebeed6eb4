"""The official 1.5.0 test suite, run live against the emulator: ours passes every test the official package passes.

See harness.py for how it runs (``make yardstick`` prints the per-file table). The table of the
last run is also written to ``.yardstick/report.md``.
"""
from __future__ import annotations

import pytest

from . import harness


@pytest.fixture(scope="module")
def runs():
    results = harness.run_both()
    table = harness.report(results)
    (harness.CACHE / "report.md").write_text(table + "\n")
    print("\n" + table)
    return results


def test_each_run_tested_its_own_package_live(runs):
    official, ours = runs["official"], runs["ours"]
    assert official.package["version"] == harness.OFFICIAL_VERSION
    assert "package-official" in official.package["file"]
    assert "package-ours" in ours.package["file"] and ours.package["version"] != harness.OFFICIAL_VERSION
    for run in runs.values():
        assert run.identities_created > 0, f"the {run.name} run made no request to its emulator:\n{run.output[-3000:]}"


def test_the_official_package_passes_its_own_suite_against_the_emulator(runs):
    # Nothing is skipped: the Teams-user tests run too (msal signs in to the emulator's development authority),
    # so a comparison below cannot be vacuous.
    official = runs["official"]
    assert official.tests, official.output[-3000:]
    assert not [n for n, outcome in official.tests.items() if outcome == "skipped"]
    assert all(counts["passed"] for counts in official.by_file().values()), harness.report(runs)


def test_ours_passes_every_test_the_official_package_passes(runs):
    regressions = harness.regressions(runs)
    assert not regressions, "official passes that ours does not pass:\n" + "\n".join(regressions) + "\n\n" + \
        harness.report(runs)
