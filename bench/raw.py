"""The raw baseline: the same HMAC-signed issue-token requests over a minimal client, no azure-core.

Sync uses one ``http.client`` keep-alive connection; asyncio uses one aiohttp ``ClientSession``.
Each call signs, sends, reads and decodes the JSON reply, which is the least work any client must
do; the client packages are measured against it. Same command line and output as ``worker.py``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from email.utils import formatdate
from urllib.parse import quote, urlsplit

from worker import SCOPES, _args

API_VERSION = "2023-10-01"


class Signer:
    """Signs requests for one endpoint; the RFC 1123 date is formatted once a second, as in our policy."""

    def __init__(self, conn: str) -> None:
        fields = dict(part.split("=", 1) for part in conn.split(";") if "=" in part)
        self.endpoint = fields["endpoint"].rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self._key = base64.b64decode(fields["accesskey"])
        self._second, self._date = -1, ""

    def headers(self, method: str, path: str, body: bytes) -> dict:
        second = int(time.time())
        if second != self._second:
            self._second, self._date = second, formatdate(second, usegmt=True)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        message = f"{method}\n{path}\n{self._date};{self.host};{digest}".encode()
        signature = base64.b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode()
        return {"x-ms-date": self._date, "x-ms-content-sha256": digest, "Content-Type": "application/json",
                "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"}


def _issue_path(user: str) -> str:
    return f"/identities/{quote(user, safe='')}/:issueAccessToken?api-version={API_VERSION}"


def run_sync(opts: dict) -> dict:
    import http.client

    signer = Signer(opts["conn"])
    parts = urlsplit(signer.endpoint)
    connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(parts.hostname, parts.port, timeout=30)
    path = _issue_path(opts["user"])

    def call() -> str:
        body = json.dumps({"scopes": SCOPES}).encode()
        connection.request("POST", path, body, signer.headers("POST", path, body))
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"issue-token answered {response.status}")
        return json.loads(payload)["token"]

    for _ in range(opts["warmup"]):
        call()
    calls = opts["calls"]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    connection.close()
    return {"calls": calls, "calls_per_s": calls / wall, "cpu_ms_per_call": cpu * 1000.0 / calls}


def run_async(opts: dict) -> dict:
    import asyncio

    import aiohttp
    from yarl import URL

    signer = Signer(opts["conn"])
    path = _issue_path(opts["user"])
    url = URL(signer.endpoint + path, encoded=True)  # send exactly the signed bytes

    async def burst(session, total: int, concurrency: int) -> None:
        remaining = [total]

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                body = json.dumps({"scopes": SCOPES}).encode()
                async with session.post(url, data=body, headers=signer.headers("POST", path, body)) as response:
                    payload = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"issue-token answered {response.status}")
                    assert json.loads(payload)["token"]

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def main() -> dict:
        connector = aiohttp.TCPConnector(limit=opts["concurrency"])
        async with aiohttp.ClientSession(connector=connector) as session:
            await burst(session, opts["warmup"], opts["concurrency"])
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await burst(session, opts["calls"], opts["concurrency"])
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return {"calls": opts["calls"], "calls_per_s": opts["calls"] / wall,
                "cpu_ms_per_call": cpu * 1000.0 / opts["calls"]}

    return asyncio.run(main())


def main(argv: list) -> None:
    opts = _args(argv)
    result = {"sync": run_sync, "async": run_async}[opts["scenario"]](opts)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
