"""One measurement in a fresh process, for whichever package the running interpreter has installed.

Ours and the official package share the import path ``azure.communication.identity``, so the bench
runs this file once with ``.bench/ours-venv``'s python and once with the official virtualenv's
python. Only the public API both packages share is used. Prints one JSON object on stdout.

    BENCH_CONNECTION_STRING=... python bench/worker.py sync|async|cold|import --user RAW_ID \
        [--calls N] [--warmup N] [--concurrency C]

The connection string comes from the environment so the access key never shows in a process list.

Deliberately imports only cheap standard-library modules at the top: ``cold`` and ``import``
time the package import itself, and ``cold`` reports the peak RSS of this process.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time

SCOPES = ["chat"]


def _args(argv: list) -> dict:
    options = {"scenario": argv[0], "calls": 2000, "warmup": 200, "concurrency": 50, "user": "",
               "conn": os.environ.get("BENCH_CONNECTION_STRING", "")}
    rest = iter(argv[1:])
    for flag in rest:
        key = flag.lstrip("-").replace("-", "_")
        value = next(rest)
        options[key] = int(value) if key in ("calls", "warmup", "concurrency") else value
    return options


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes; the bench runs on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_sync(opts: dict) -> dict:
    from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

    client = CommunicationIdentityClient.from_connection_string(opts["conn"])
    user = CommunicationUserIdentifier(opts["user"])
    for _ in range(opts["warmup"]):
        client.get_token(user, SCOPES)
    calls = opts["calls"]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        token = client.get_token(user, SCOPES)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    assert token.token
    getattr(client, "close", lambda: None)()  # the official sync client has no close()
    return {"calls": calls, "calls_per_s": calls / wall, "cpu_ms_per_call": cpu * 1000.0 / calls}


def run_async(opts: dict) -> dict:
    import asyncio

    from azure.communication.identity import CommunicationUserIdentifier
    from azure.communication.identity.aio import CommunicationIdentityClient

    user = CommunicationUserIdentifier(opts["user"])

    async def burst(client, total: int, concurrency: int) -> None:
        remaining = [total]

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                token = await client.get_token(user, SCOPES)
                assert token.token

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def main() -> dict:
        client = CommunicationIdentityClient.from_connection_string(opts["conn"])
        async with client:
            await burst(client, opts["warmup"], opts["concurrency"])
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await burst(client, opts["calls"], opts["concurrency"])
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return {"calls": opts["calls"], "calls_per_s": opts["calls"] / wall,
                "cpu_ms_per_call": cpu * 1000.0 / opts["calls"]}

    return asyncio.run(main())


def run_cold(opts: dict) -> dict:
    t0 = time.perf_counter()
    from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

    t1 = time.perf_counter()
    client = CommunicationIdentityClient.from_connection_string(opts["conn"])
    t2 = time.perf_counter()
    token = client.get_token(CommunicationUserIdentifier(opts["user"]), SCOPES)
    t3 = time.perf_counter()
    assert token.token
    return {"import_ms": (t1 - t0) * 1000, "construct_ms": (t2 - t1) * 1000, "first_call_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000, "peak_rss_mb": _peak_rss_mb()}


def run_import(opts: dict) -> dict:
    t0 = time.perf_counter()
    from azure.communication.identity import CommunicationIdentityClient  # noqa: F401

    return {"import_ms": (time.perf_counter() - t0) * 1000}


SCENARIOS = {"sync": run_sync, "async": run_async, "cold": run_cold, "import": run_import}


def main(argv: list) -> None:
    opts = _args(argv)
    result = SCENARIOS[opts["scenario"]](opts)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
