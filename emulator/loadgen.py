"""A bounded local load run against the issue-token operation: ``python -m acs_identity_emulator.loadgen``.

Starts its own emulator (or uses ``--connection-string``), creates one user, then keeps
``--concurrency`` HMAC-signed issue-token requests in flight for ``--seconds`` and prints the rate.
Loopback only, by construction of the endpoint it talks to.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import time
from email.utils import formatdate
from typing import Dict, Optional, Tuple
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from .testing import running_emulator


def _signer(key_b64: str, host: str):
    key = base64.b64decode(key_b64)

    def headers(method: str, path: str, body: bytes) -> Dict[str, str]:
        date = formatdate(usegmt=True)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        message = f"{method}\n{path}\n{date};{host};{digest}".encode()
        signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return {"x-ms-date": date, "x-ms-content-sha256": digest, "Content-Type": "application/json",
                "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"}

    return headers


async def _run(connection_string: str, concurrency: int, seconds: float) -> Tuple[int, int, float]:
    fields = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    endpoint = fields["endpoint"].rstrip("/")
    host = urlsplit(endpoint).netloc
    if urlsplit(endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loadgen only targets a loopback emulator")
    sign = _signer(fields["accesskey"], host)
    version = "2023-10-01"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",)) as session:
        path = f"/identities?api-version={version}"
        async with session.post(endpoint + path, data=b"", headers=sign("POST", path, b"")) as response:
            user = (await response.json())["identity"]["id"]
        path = f"/identities/{quote(user, safe='')}/:issueAccessToken?api-version={version}"
        body = json.dumps({"scopes": ["chat", "voip"]}).encode()
        # encoded=True: the exact bytes signed are the bytes sent (yarl would re-encode %3A).
        url = URL(endpoint + path, encoded=True)
        ok = failed = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal ok, failed
            while time.perf_counter() < deadline:
                async with session.post(url, data=body, headers=sign("POST", path, body)) as reply:
                    await reply.read()
                    if reply.status == 200:
                        ok += 1
                    else:
                        failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return ok, failed, time.perf_counter() - started


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m acs_identity_emulator.loadgen")
    parser.add_argument("--connection-string")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.connection_string:
        ok, failed, elapsed = asyncio.run(_run(args.connection_string, args.concurrency, args.seconds))
    else:
        with running_emulator() as emulator:
            ok, failed, elapsed = asyncio.run(_run(emulator.connection_string, args.concurrency, args.seconds))
    print(f"issue-token: {ok} ok, {failed} failed in {elapsed:.1f} s -> {ok / elapsed:.0f} requests/s "
          f"({args.concurrency} concurrent)")


if __name__ == "__main__":
    main()
