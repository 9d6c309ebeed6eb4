"""Medians, run-by-run ratios, targets and the stdout table."""
from __future__ import annotations

import statistics
from typing import Any, Dict, List, Optional

# figure -> (scenario, ratio field, comparison, target)
TARGETS = [
    ("sync calls/s, ours/official", "sync_get_token", "calls_per_s_ratio_ours_official", ">=", 2.5),
    ("async c50 calls/s, ours/official", "async_get_token_c50", "calls_per_s_ratio_ours_official", ">=", 2.5),
    ("sync client CPU/call, ours/raw", "sync_get_token", "cpu_ratio_ours_raw", "<=", 2.0),
    ("sync client CPU/call, ours/official", "sync_get_token", "cpu_ratio_ours_official", "<=", 0.5),
    ("async client CPU/call, ours/raw", "async_get_token_c50", "cpu_ratio_ours_raw", "<=", 2.0),
    ("cold start wall, ours/official", "cold_start", "wall_ratio_ours_official", "<=", 0.7),
    ("import time, ours/official", "import", "ratio_ours_official", "<=", 1.0),
    ("cold-start peak RSS, ours/official", "cold_start", "peak_rss_ratio_ours_official", "<=", 1.0),
    ("emulator issue-token req/s", "emulator_issue_token", "requests_per_s", ">=", 1500.0),
]


def median(values: List[Optional[float]]) -> Optional[float]:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def paired_ratios(runs: List[Dict[str, Any]], field_a: str, field_b: str) -> Optional[float]:
    """The median of per-run ratios (run i of A against run i of B), not the ratio of medians."""
    return median([ratio(run.get(field_a), run.get(field_b)) for run in runs])


def apply_targets(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    rows = []
    for label, scenario, field, op, target in TARGETS:
        value = results.get(scenario, {}).get(field)
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        results.setdefault(scenario, {}).setdefault("targets", {})[field] = {"target": f"{op} {target:g}",
                                                                           "value": value, "met": met}
        rows.append({"figure": label, "target": f"{op} {target:g}", "value": value, "met": met})
    return rows


def _fmt(value: Optional[float], digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}f}"


def table(results: Dict[str, Any], rows: List[Dict[str, Any]]) -> str:
    lines = []
    head = f"{'scenario':<28}{'figure':<20}{'ours':>10}{'official':>10}{'raw':>10}"
    lines += [head, "-" * len(head)]
    for key, label in (("sync_get_token", "sync get_token"), ("async_get_token_c50", "async get_token c50")):
        res = results.get(key, {})
        for unit, name in (("calls_per_s", "calls/s"), ("cpu_ms_per_call", "CPU ms/call")):
            lines.append(f"{label:<28}{name:<20}{_fmt(res.get('ours_' + unit)):>10}"
                         f"{_fmt(res.get('official_' + unit)):>10}{_fmt(res.get('raw_' + unit)):>10}")
    cold = results.get("cold_start", {})
    parts = (("import_ms", "import ms"), ("construct_ms", "construct ms"), ("first_call_ms", "first get_token ms"),
             ("ms", "total wall ms"), ("peak_rss_mb", "peak RSS MB"))
    for part, name in parts:
        lines.append(f"{'cold start':<28}{name:<20}{_fmt(cold.get('ours_' + part)):>10}"
                     f"{_fmt(cold.get('official_' + part)):>10}{'':>10}")
    imp = results.get("import", {})
    lines.append(f"{'import alone':<28}{'ms':<20}{_fmt(imp.get('ours_ms')):>10}{_fmt(imp.get('official_ms')):>10}")
    emu = results.get("emulator_issue_token", {})
    lines.append(f"{'emulator issue-token':<28}{'requests/s':<20}{_fmt(emu.get('requests_per_s')):>10}")
    lines += ["", f"{'target':<40}{'goal':>10}{'value':>10}  met", "-" * 66]
    for row in rows:
        met = {True: "yes", False: "NO", None: "n/a"}[row["met"]]
        lines.append(f"{row['figure']:<40}{row['target']:>10}{_fmt(row['value']):>10}  {met}")
    return "\n".join(lines)
