"""``make bench``: our client, the official package and a raw baseline against one emulator, side by side.

Starts the emulator (in memory; HTTPS with its own CA, trusted through the environment) once, then
runs every measurement in a fresh process: ours from ``.bench/ours-venv`` (the checkout, installed
as a user installs it: see ``ours.py``), the official package from ``.bench/official-venv``
(installed on first use) and the raw baseline (``raw.py``) with this interpreter. Ours and the
official package alternate run by run; ratios are taken run by run and their median reported.
Writes ``bench/results.json``.

    .venv/bin/python bench/run.py [--no-official] [--runs 3] [--calls 2000] [--output PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import ssl
import subprocess
import sys
import time
import urllib.request
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import official  # noqa: E402
import ours  # noqa: E402
import report  # noqa: E402
from raw import API_VERSION, Signer  # noqa: E402

from acs_identity_emulator.testing import running_emulator  # noqa: E402

WORKER = os.path.join(HERE, "worker.py")
RAW = os.path.join(HERE, "raw.py")
WORKER_TIMEOUT_SECONDS = 120


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--no-official", action="store_true", help="measure ours and raw only (no virtualenv, no network)")
    p.add_argument("--runs", type=int, default=3, help="runs per throughput figure (median reported)")
    p.add_argument("--calls", type=int, default=2000, help="measured sync calls per run")
    p.add_argument("--async-calls", type=int, default=2000, help="measured async calls per run")
    p.add_argument("--warmup", type=int, default=200, help="calls before measuring")
    p.add_argument("--concurrency", type=int, default=50, help="async calls in flight")
    p.add_argument("--cold-runs", type=int, default=5, help="fresh processes for cold start and import time")
    p.add_argument("--loadgen-seconds", type=float, default=3.0, help="length of each emulator load run")
    p.add_argument("--editable", action="store_true",
                   help="measure ours from this interpreter (editable install) instead of .bench/ours-venv")
    p.add_argument("--output", default=os.path.join(HERE, "results.json"))
    return p.parse_args(argv)


class Bench:
    def __init__(self, args: argparse.Namespace, connection_string: str, ca_cert: str, user: str,
                 pythons: Dict[str, str]) -> None:
        self.args = args
        self.user = user
        self.pythons = pythons  # side -> interpreter; "raw" runs raw.py with ours
        # Everyone trusts the emulator's CA the standard way: requests reads REQUESTS_CA_BUNDLE,
        # ssl/aiohttp default contexts read SSL_CERT_FILE.
        self.env = dict(os.environ, BENCH_CONNECTION_STRING=connection_string, SSL_CERT_FILE=ca_cert,
                        REQUESTS_CA_BUNDLE=ca_cert)
        self.env.pop("PYTHONPATH", None)  # each side sees only its own virtualenv

    @property
    def client_sides(self) -> List[str]:
        return [side for side in ("ours", "official") if side in self.pythons]

    def worker(self, side: str, scenario: str, **options: Any) -> Dict[str, Any]:
        script = RAW if side == "raw" else WORKER
        command = [self.pythons["ours" if side == "raw" else side], script, scenario, "--user", self.user]
        for key, value in options.items():
            command += ["--" + key, str(value)]
        done = subprocess.run(command, check=False, capture_output=True, text=True, env=self.env, cwd=HERE,
                              timeout=WORKER_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise SystemExit(f"bench: {side} {scenario} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _order(self, run: int, sides: List[str]) -> List[str]:
        # Alternate who goes first so drift (thermal, emulator state) does not favour one side.
        return sides if run % 2 == 0 else list(reversed(sides))

    def throughput(self, scenario: str, calls: int) -> Dict[str, Any]:
        sides = self.client_sides + ["raw"]
        runs = []
        for run in range(self.args.runs):
            row: Dict[str, Any] = {}
            for side in self._order(run, sides):
                out = self.worker(side, scenario, calls=calls, warmup=self.args.warmup,
                                  concurrency=self.args.concurrency)
                row[f"{side}_calls_per_s"] = out["calls_per_s"]
                row[f"{side}_cpu_ms_per_call"] = out["cpu_ms_per_call"]
            runs.append(row)
            print(f"bench: {scenario} run {run + 1}: " + ", ".join(f"{k}={v:.3g}" for k, v in row.items()),
                  file=sys.stderr)
        result: Dict[str, Any] = {"calls": calls, "warmup": self.args.warmup}
        if scenario == "async":
            result["concurrency"] = self.args.concurrency
        for field in runs[0]:
            result[field] = report.median([r[field] for r in runs])
        result["calls_per_s_ratio_ours_official"] = report.paired_ratios(runs, "ours_calls_per_s",
                                                                         "official_calls_per_s")
        result["cpu_ratio_ours_raw"] = report.paired_ratios(runs, "ours_cpu_ms_per_call", "raw_cpu_ms_per_call")
        result["cpu_ratio_official_raw"] = report.paired_ratios(runs, "official_cpu_ms_per_call",
                                                                "raw_cpu_ms_per_call")
        result["cpu_ratio_ours_official"] = report.paired_ratios(runs, "ours_cpu_ms_per_call",
                                                                 "official_cpu_ms_per_call")
        result["runs"] = runs
        return result

    def fresh_processes(self) -> Dict[str, Dict[str, Any]]:
        for side in self.client_sides:  # compile bytecode once so no side pays for it in a measured run
            self.worker(side, "import")
        cold_runs, import_runs = [], []
        for run in range(self.args.cold_runs):
            cold_row: Dict[str, Any] = {}
            import_row: Dict[str, Any] = {}
            for side in self._order(run, self.client_sides):
                out = self.worker(side, "cold")
                cold_row[f"{side}_ms"] = out.pop("total_ms")
                cold_row.update({f"{side}_{k}": v for k, v in out.items()})
                import_row[f"{side}_ms"] = self.worker(side, "import")["import_ms"]
            cold_runs.append(cold_row)
            import_runs.append(import_row)
        cold: Dict[str, Any] = {f: report.median([r[f] for r in cold_runs]) for f in cold_runs[0]}
        cold["wall_ratio_ours_official"] = report.paired_ratios(cold_runs, "ours_ms", "official_ms")
        cold["peak_rss_ratio_ours_official"] = report.paired_ratios(cold_runs, "ours_peak_rss_mb",
                                                                    "official_peak_rss_mb")
        cold["runs"] = cold_runs
        imp: Dict[str, Any] = {f: report.median([r[f] for r in import_runs]) for f in import_runs[0]}
        imp["ratio_ours_official"] = report.paired_ratios(import_runs, "ours_ms", "official_ms")
        imp["runs"] = import_runs
        return {"cold_start": cold, "import": imp}

    def emulator_load(self, connection_string: str) -> Dict[str, Any]:
        """The emulator engineer's load generator (``acs_identity_emulator.loadgen``), run as is."""
        rates = []
        for _ in range(self.args.runs):
            done = subprocess.run(
                [self.pythons["ours"], "-m", "acs_identity_emulator.loadgen", "--connection-string",
                 connection_string, "--concurrency", str(self.args.concurrency),
                 "--seconds", str(self.args.loadgen_seconds)],
                check=False, capture_output=True, text=True, env=self.env,
                timeout=WORKER_TIMEOUT_SECONDS + self.args.loadgen_seconds)
            match = re.search(r"(\d+) ok, (\d+) failed .*-> (\d+) requests/s", done.stdout)
            if done.returncode != 0 or not match:
                raise SystemExit(f"bench: loadgen failed:\n{done.stdout}\n{done.stderr[-3000:]}")
            if int(match.group(2)):
                raise SystemExit(f"bench: loadgen saw failed requests: {done.stdout.strip()}")
            rates.append(float(match.group(3)))
        return {"requests_per_s": report.median(rates), "concurrency": self.args.concurrency,
                "seconds_per_run": self.args.loadgen_seconds, "runs": rates}


def create_user(connection_string: str, ca_cert: str) -> str:
    signer = Signer(connection_string)
    path = f"/identities?api-version={API_VERSION}"
    request = urllib.request.Request(signer.endpoint + path, data=b"", method="POST",
                                     headers=signer.headers("POST", path, b""))
    context = ssl.create_default_context(cafile=ca_cert)
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return json.loads(response.read())["identity"]["id"]


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    args = parse_args(argv)
    started = time.perf_counter()
    pythons = {"ours": sys.executable if args.editable else ours.ensure()}
    meta: Dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
                            "official_package": None, "api_version": API_VERSION, "runs": args.runs,
                            "cold_runs": args.cold_runs, "scheme": "https",
                            "ours_install": "editable (.venv)" if args.editable else "regular (.bench/ours-venv)"}
    if not args.no_official:
        pythons["official"], meta["official_package"] = official.ensure()
    results: Dict[str, Any] = {}
    # HTTPS for everyone: the official from_connection_string() always speaks https.
    with running_emulator(in_memory=True, tls=True) as emulator:
        if not emulator.ca_cert:
            raise SystemExit("bench: the emulator did not say where its CA certificate is")
        user = create_user(emulator.connection_string, emulator.ca_cert)
        bench = Bench(args, emulator.connection_string, emulator.ca_cert, user, pythons)
        results["sync_get_token"] = bench.throughput("sync", args.calls)
        results["async_get_token_c50"] = bench.throughput("async", args.async_calls)
        results.update(bench.fresh_processes())
        results["emulator_issue_token"] = bench.emulator_load(emulator.connection_string)
    rows = report.apply_targets(results)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    results["meta"] = meta
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")
    print(report.table(results, rows))
    print(f"\n(official: {meta['official_package'] or 'skipped'}; {meta['seconds']} s; "
          f"written to {os.path.relpath(args.output)})")
    return results


if __name__ == "__main__":
    main()
