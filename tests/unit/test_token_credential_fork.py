"""A process forked while credentials are refreshing gets working credentials (sync and async).

Each scenario runs in a fresh interpreter (fork_scenarios.py) that forks with a refresh in flight in
another thread or on another thread's event loop; the pytest process itself never forks.
"""
import json
import os
import subprocess
import sys

SCENARIOS = os.path.join(os.path.dirname(__file__), "fork_scenarios.py")


def run_scenario(name):
    done = subprocess.run(
        [sys.executable, SCENARIOS, name], capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sync_child_gets_tokens_and_keeps_refreshing():
    result = run_scenario("sync")
    child = result["child"]
    assert "error" not in child, child
    # A background refresh was in flight in the parent: the child does not wait for it, refreshes
    # itself, and its re-armed timer goes on refreshing the short-lived tokens it gets.
    assert child["busy_token_from_child"] is True
    assert child["refreshed_in_background"] is True and child["background_refreshes_in_child"] >= 3
    # An on-demand refresh was in flight in a parent thread: the child's get_token refreshes once.
    assert child["on_demand_token_from_child"] is True and child["on_demand_calls_in_child"] == 1
    # A timer that was only waiting is re-armed in the child with a thread of its own.
    assert child["idle_timer_rearmed"] is True and child["idle_timer_alive"] is True
    # The parent is unaffected.
    assert result["parent"] == {"busy_works": True, "on_demand_works": True}


def test_async_child_gets_tokens_and_restarts_its_background_task():
    result = run_scenario("async")
    child = result["child"]
    assert "error" not in child, child
    assert child["token_from_child"] is True
    assert child["background_refreshes_in_child"] >= 3
    assert child["background_task_on_child_loop"] is True
    assert result["parent"] == {"refresher_calls": 1}


def test_a_hung_child_is_reported_not_waited_for(tmp_path):
    # How the defect showed: the child waited forever. The harness kills such a child and says so.
    script = tmp_path / "hang.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {os.path.dirname(SCENARIOS)!r})\n"
        "import fork_scenarios\n"
        "fork_scenarios.CHILD_DEADLINE = 0.5\n"
        "print(fork_scenarios.fork_and_report(lambda: time.sleep(30)))\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "the child hung" in done.stdout
