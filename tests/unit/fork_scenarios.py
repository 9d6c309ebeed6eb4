"""Fork scenarios for the token credentials, run as a separate process by test_token_credential_fork.py.

The process forks while a refresh is in flight in another thread (or on an event loop running in
another thread); the child reports over a pipe what its credentials did, then leaves with
``os._exit``. Keeping the fork out of the pytest process keeps pytest's own state out of the child.

Usage: python fork_scenarios.py sync|async  -> one JSON object on stdout.
"""
import asyncio
import base64
import json
import os
import select
import signal
import sys
import threading
import time
import warnings

from azure.communication.identity import CommunicationTokenCredential
from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential

CHILD_DEADLINE = 20.0  # seconds the parent waits for the child's report before calling it hung
PARENT_PID = os.getpid()


def make_jwt(exp):
    def segment(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{segment({'alg': 'RS256'})}.{segment({'exp': int(exp)})}.c2ln"


def in_child():
    return os.getpid() != PARENT_PID


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Calls:
    """Refresher calls seen in this process (the child gets its own copy at the fork)."""

    def __init__(self):
        self.pids = []

    def record(self):
        self.pids.append(os.getpid())

    def in_this_process(self):
        return self.pids.count(os.getpid())


def fork_and_report(child_main):
    """Fork; the child runs ``child_main`` and sends back its JSON-able result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            report = child_main()
        except BaseException as exc:  # reported, not raised: the child must reach os._exit
            report = {"error": f"{type(exc).__name__}: {exc}"}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], CHILD_DEADLINE)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return {"error": "the child hung"}
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks) or b'{"error": "the child died without a report"}')


def sync_scenario():
    gate = threading.Event()  # holds the parent's refreshes in flight; never set in the child
    started = threading.Event()
    proactive_calls, on_demand_calls = Calls(), Calls()

    def proactive_refresher():
        proactive_calls.record()
        if in_child():
            return make_jwt(time.time() + 2)  # short-lived, so the child's timer refreshes again soon
        started.set()
        gate.wait(30)
        return make_jwt(time.time() + 3600)

    def on_demand_refresher():
        on_demand_calls.record()
        if not in_child():
            gate.wait(30)
        return make_jwt(time.time() + 3600)

    expired = make_jwt(time.time() - 60)
    # A background refresh in flight at the fork: entering arms the timer, due at once.
    busy = CommunicationTokenCredential(expired, token_refresher=proactive_refresher, proactive_refresh=True)
    busy.__enter__()
    # An on-demand refresh in flight at the fork, in a thread the child will not have.
    on_demand = CommunicationTokenCredential(expired, token_refresher=on_demand_refresher)
    parent_getter = threading.Thread(target=on_demand.get_token, daemon=True)
    parent_getter.start()
    # A timer waiting (not firing) at the fork.
    idle = CommunicationTokenCredential(
        make_jwt(time.time() + 3600), token_refresher=proactive_refresher, proactive_refresh=True
    )
    idle.__enter__()
    parent_idle_timer = idle._timer
    assert started.wait(10) and wait_until(lambda: on_demand_calls.pids, 10)

    def child_main():
        first = busy.get_token()
        refreshed_in_background = wait_until(lambda: proactive_calls.in_this_process() >= 3, 15)
        on_demand_token = on_demand.get_token()
        return {
            "busy_token_from_child": first.token != expired,
            "background_refreshes_in_child": proactive_calls.in_this_process(),
            "refreshed_in_background": refreshed_in_background,
            "on_demand_token_from_child": on_demand_token.token != expired,
            "on_demand_calls_in_child": on_demand_calls.in_this_process(),
            "idle_timer_rearmed": idle._timer is not None and idle._timer is not parent_idle_timer,
            "idle_timer_alive": idle._timer is not None and idle._timer.is_alive(),
        }

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: "fork() in a multi-threaded process"
        child = fork_and_report(child_main)
    gate.set()
    parent_getter.join(30)
    parent = {
        "busy_works": busy.get_token().token != expired,
        "on_demand_works": on_demand.get_token().token != expired,
    }
    busy.close()
    idle.close()
    return {"child": child, "parent": parent}


def async_scenario():
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, daemon=True)
    loop_thread.start()
    started = threading.Event()
    calls = Calls()

    async def refresher():
        calls.record()
        if in_child():
            return make_jwt(time.time() + 2)
        started.set()
        await asyncio.sleep(30)  # in flight at the fork
        return make_jwt(time.time() + 3600)

    expired = make_jwt(time.time() - 60)
    credential = AsyncCommunicationTokenCredential(expired, token_refresher=refresher, proactive_refresh=True)
    asyncio.run_coroutine_threadsafe(credential.__aenter__(), loop).result(10)
    assert started.wait(10)

    async def child_async():
        token = await asyncio.wait_for(credential.get_token(), 10)
        deadline = time.monotonic() + 15
        while calls.in_this_process() < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        timer = credential._timer
        report = {
            "token_from_child": token.token != expired,
            "background_refreshes_in_child": calls.in_this_process(),
            "background_task_on_child_loop": timer is not None and timer.running_on(asyncio.get_running_loop()),
        }
        await credential.close()
        return report

    def child_main():
        return asyncio.run(child_async())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        child = fork_and_report(child_main)
    asyncio.run_coroutine_threadsafe(credential.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    loop_thread.join(10)
    loop.close()
    return {"child": child, "parent": {"refresher_calls": calls.in_this_process()}}


if __name__ == "__main__":
    scenario = {"sync": sync_scenario, "async": async_scenario}[sys.argv[1]]
    print(json.dumps(scenario()))
