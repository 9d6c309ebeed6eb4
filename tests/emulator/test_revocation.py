"""Revocation is consistent under concurrency.

Definition used (client-observed times, one monotonic clock):
- a token whose issue request *completed* before a revoke request *started* must be reported
  invalid ("revoked") by /emulator/tokens/validate afterwards;
- a token whose issue request *started* after the last revoke *completed* stays valid;
- a token whose issue overlapped a revoke may go either way.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import List

import pytest

from .hmac_client import RawClient

V = "2023-10-01"
ISSUERS = 6
REVOKES = 4
TOKENS_BETWEEN_REVOKES = 40


@dataclass
class Issued:
    started: float
    finished: float
    token: str


@dataclass
class Revoke:
    started: float
    finished: float


@pytest.mark.slow
def test_tokens_issued_before_a_completed_revoke_are_never_valid(emulator):
    client = RawClient(emulator.endpoint, emulator.access_key)
    user = client.new_user(V)
    issued: List[Issued] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: List[BaseException] = []

    def issuer():
        try:
            while not stop.is_set():
                started = time.monotonic()
                reply = client.issue(user, V, {"scopes": ["chat"]})
                finished = time.monotonic()
                assert reply.status == 200, reply.raw[:200]
                with lock:
                    issued.append(Issued(started, finished, reply.json["token"]))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    def wait_for_tokens(count: int, after: float) -> None:
        # Progress-based, not time-based: wait until enough tokens started after `after`.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not errors:
            with lock:
                if sum(1 for item in issued if item.started > after) >= count:
                    return
            time.sleep(0.005)
        raise AssertionError(f"issuers made no progress: {errors}")

    threads = [threading.Thread(target=issuer) for _ in range(ISSUERS)]
    for thread in threads:
        thread.start()
    revokes: List[Revoke] = []
    try:
        mark = 0.0
        for _ in range(REVOKES):
            wait_for_tokens(TOKENS_BETWEEN_REVOKES, mark)
            started = time.monotonic()
            assert client.revoke(user, V).status == 204
            mark = time.monotonic()
            revokes.append(Revoke(started, mark))
        wait_for_tokens(TOKENS_BETWEEN_REVOKES, mark)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors

    last_revoke_done = revokes[-1].finished
    must_be_revoked = [item for item in issued if any(item.finished < r.started for r in revokes)]
    must_be_valid = [item for item in issued if item.started > last_revoke_done]
    either = len(issued) - len(must_be_revoked) - len(must_be_valid)
    assert len(must_be_revoked) >= TOKENS_BETWEEN_REVOKES and len(must_be_valid) >= TOKENS_BETWEEN_REVOKES

    wrongly_valid = [item for item in must_be_revoked if emulator.token_status(item.token)["reason"] != "revoked"]
    wrongly_invalid = [item for item in must_be_valid if emulator.token_status(item.token)["valid"] is not True]
    print(f"\nrevocation: {len(issued)} tokens issued by {ISSUERS} threads across {REVOKES} revokes; "
          f"{len(must_be_revoked)} must be revoked, {len(must_be_valid)} must be valid, {either} overlapped")
    assert not wrongly_valid, f"{len(wrongly_valid)} tokens issued before a revoke are still valid"
    assert not wrongly_invalid, f"{len(wrongly_invalid)} tokens issued after the last revoke are invalid"
