"""`maos-tui insights` in a real subprocess, on the hand-built history of
test_store_insights (a window wide enough to hold all of it)."""

from __future__ import annotations

import json

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.test_store_insights import build_history

ALL = "104w"  # the history is in early 2026


async def test_json_figures(cli: Cli, store: Store) -> None:
    await build_history(store)
    found = json.loads(cli.ok("insights", "--since", ALL, "--json"))
    assert found["completed"] == 3
    assert found["cost_usd"] == pytest.approx(13.65)
    per_day = {d["day"]: d["completed"] for d in found["throughput"] if d["completed"]}
    assert per_day == {"2026-02-20": 1, "2026-03-05": 1, "2026-03-08": 1}
    # TASK-003's run adds a wait and a run of an hour each.
    assert found["seconds"] == {
        "wait": {"count": 8, "median": 600.0, "p90": 3600.0},
        "run": {"count": 5, "median": 900.0, "p90": 3600.0},
        "review": {"count": 2, "median": 120.0, "p90": 180.0},
    }
    alice = found["agents"][0]
    assert alice == {
        "agent": "alice", "runs": 4, "succeeded": 3, "tasks_done": 2, "cost_usd": 12.5,
        "retries": 2, "review_rounds": 1, "success_rate": 0.75, "cost_per_task_done": 6.25,
    }  # fmt: skip
    assert [t["task_id"] for t in found["costliest"]] == [
        "TASK-003", "TASK-001", "TASK-002", "TASK-004"
    ]  # fmt: skip
    assert found["costliest"][1]["tool_calls"] == 4


async def test_text_figures(cli: Cli, store: Store) -> None:
    await build_history(store)
    out = cli.ok("insights", "--since", ALL)
    assert ": 3 tasks done, $13.65 spent" in out.splitlines()[0]
    assert "  wait       10m 00s    1h 00m       8" in out
    assert "  run        15m 00s    1h 00m       5" in out
    assert "  review      2m 00s    3m 00s       2" in out
    assert "Done per week " in out and "(60 weeks to " in out
    assert "  alice                4      75%     2     $6.25       2      1    $12.50" in out
    assert "  TASK-001      $4.25  Fix the login" in out
    assert "5 runs, 1 retry, 1 review round, 4.7k tokens, 4 tool calls" in out


async def test_one_tasks_runs_and_tool_calls(cli: Cli, store: Store) -> None:
    await build_history(store)
    out = cli.ok("insights", "TASK-001")
    lines = out.splitlines()
    assert lines[0] == "TASK-001 Fix the login: $4.25 in 5 runs"
    assert lines[2] == "      read_file: src/login.py"
    assert "run_tests: 3 passed" in out
    runs = json.loads(cli.ok("insights", "TASK-001", "--json"))["runs"]
    assert [r["outcome"] for r in runs] == ["failed", "done", "changes", "done", "approved"]
    assert runs[0]["tool_calls"] == ["read_file: src/login.py", "run_tests: 2 failed"]
    assert runs[0]["started_at"] == "2026-03-05T10:10:00Z"


def test_a_recent_window_is_empty(cli: Cli) -> None:
    cli.ok("init")
    found = json.loads(cli.ok("insights", "--since", "2d", "--json"))
    assert len(found["throughput"]) == 3 and found["costliest"] == []
    out = cli.ok("insights")
    assert "no runs in this window" in out and "Done per day   ▁▁▁" in out
    assert "(15 days to " in out


@pytest.mark.parametrize("args", [("--since", "7x"), ("--since=-3d",), ("--since", "-3d"),
                                  ("--since", "0d"), ("TASK-404",), ("nonsense",)])  # fmt: skip
def test_bad_input_is_one_error_line(cli: Cli, args: tuple[str, ...]) -> None:
    cli.ok("init")
    cli.error("insights", *args)
