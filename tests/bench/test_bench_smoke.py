"""The bench harness end to end with tiny counts, so ``make bench`` cannot rot.

Runs ours and the raw baseline against a real emulator (``--no-official``: the official package
needs a virtualenv from PyPI, and tests never need the network). No timing is asserted: only that
every scenario produced its figures and the targets were evaluated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "bench", "run.py")
TINY = ["--no-official", "--editable", "--runs", "1", "--calls", "20", "--async-calls", "20", "--warmup", "5",
        "--concurrency", "5", "--cold-runs", "1", "--loadgen-seconds", "0.5"]


def test_bench_runs_ours_and_raw_with_tiny_counts(tmp_path):
    output = tmp_path / "results.json"
    done = subprocess.run([sys.executable, RUN, *TINY, "--output", str(output)], capture_output=True, text=True,
                          timeout=110, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())

    for scenario in ("sync_get_token", "async_get_token_c50"):
        figures = results[scenario]
        for side in ("ours", "raw"):
            assert figures[f"{side}_calls_per_s"] > 0
            assert figures[f"{side}_cpu_ms_per_call"] > 0
        assert figures.get("official_calls_per_s") is None
        assert figures["cpu_ratio_ours_raw"] > 0
        assert figures["targets"]["cpu_ratio_ours_raw"]["met"] in (True, False)
        assert figures["targets"]["calls_per_s_ratio_ours_official"]["met"] is None  # no official side

    cold = results["cold_start"]
    assert cold["ours_ms"] >= cold["ours_import_ms"] > 0
    assert cold["ours_peak_rss_mb"] > 0
    assert results["import"]["ours_ms"] > 0
    assert results["emulator_issue_token"]["requests_per_s"] > 0
    assert results["meta"]["official_package"] is None

    # The table names every scenario; the access key never reaches the output.
    for label in ("sync get_token", "async get_token c50", "cold start", "import alone", "emulator issue-token"):
        assert label in done.stdout
    assert "accesskey" not in done.stdout + done.stderr
    assert "accesskey" not in output.read_text()
