"""The insights view on a hand-built history, with every figure worked out by hand
(SQLite and PostgreSQL both: the durations and days are the dialect-specific part)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from maos_tui.domain import DomainError
from maos_tui.insights import AgentInsight, CostlyTask, Spread, parse_since
from maos_tui.store import Store
from maos_tui.store.insights_views import read_insights, read_task_cost
from maos_tui.store.models import Activity, Run, Task

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def at(day: int, hour: int, minute: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def task(seq: int, title: str, status: str, created: datetime, **values: Any) -> dict[str, Any]:
    return {
        "id": f"TASK-{seq:03d}", "seq": seq, "title": title, "description": "",
        "status": status, "priority": 2, "archived": False, "created_by": "human",
        "parent_id": None, "retry_count": 0, "max_retries": 3, "timeout_seconds": 900,
        "review_rounds": 0, "created_at": created, "updated_at": created, **values,
    }  # fmt: skip


def run(task_id: str, agent: str, kind: str, start: datetime, end: datetime | None,
        outcome: str | None, cost: float, tokens: tuple[int, int], log: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "task_id": task_id, "agent_name": agent, "kind": kind, "started_at": start,
        "ended_at": end, "outcome": outcome, "error": None, "tokens_in": tokens[0],
        "tokens_out": tokens[1], "cost_usd": cost, "output_log": log, "last_progress_at": start,
    }  # fmt: skip


def completed(task_id: str, when: datetime) -> dict[str, Any]:
    return {"created_at": when, "actor": "scheduler", "verb": "completed", "task_id": task_id,
            "details": "{}"}  # fmt: skip


def shifted(rows: list[dict[str, Any]], by: timedelta) -> list[dict[str, Any]]:
    return [{k: v + by if isinstance(v, datetime) else v for k, v in row.items()} for row in rows]


async def build_history(store: Store, now: datetime = NOW) -> None:
    """TASK-001: alice fails once, succeeds, bob asks for changes, alice fixes it, bob
    approves. TASK-002: bob does it at once. TASK-003: done long before the window.
    TASK-004: carol's run is still going. `now`: the history moved to end there."""
    tasks = [
        task(1, "Fix the login", "done", at(5, 10, 0), retry_count=1, review_rounds=1),
        task(2, "Write the docs", "done", at(8, 9, 0)),
        task(3, "Old work", "done", at(20, 9, 0, month=2)),
        task(4, "Still running", "in_progress", at(10, 11, 0)),
    ]
    runs = [
        run("TASK-003", "alice", "work", at(20, 10, 0, 2), at(20, 11, 0, 2), "done", 9.0, (9, 9)),
        run("TASK-001", "alice", "work", at(5, 10, 10), at(5, 10, 20), "failed", 1.0,
            (1000, 200), "thinking\n[tool] read_file: src/login.py\n[tool] run_tests: 2 failed\n"),
        run("TASK-001", "alice", "work", at(5, 10, 25), at(5, 10, 50), "done", 2.0, (2000, 400),
            "[tool] write_file: src/login.py\n"),
        run("TASK-001", "bob", "review", at(5, 11, 2), at(5, 11, 5), "changes", 0.5, (500, 100)),
        run("TASK-001", "alice", "work", at(5, 11, 5), at(5, 11, 12), "done", 0.5, (300, 50),
            "[tool] run_tests: 3 passed\n"),
        run("TASK-001", "bob", "review", at(5, 11, 20), at(5, 11, 22), "approved", 0.25,
            (100, 20)),
        run("TASK-002", "bob", "work", at(8, 9, 30), at(8, 9, 45), "done", 0.3, (100, 50)),
        run("TASK-004", "carol", "work", at(10, 11, 45), None, None, 0.1, (10, 5)),
    ]  # fmt: skip
    activities = [
        completed("TASK-003", at(20, 11, 0, month=2)),
        completed("TASK-001", at(5, 11, 22)),
        completed("TASK-002", at(8, 9, 45)),
    ]
    by = now - NOW
    async with store.write() as tx:
        await tx.conn.execute(insert(Task), shifted(tasks, by))
        await tx.conn.execute(insert(Run), shifted(runs, by))
        await tx.conn.execute(insert(Activity), shifted(activities, by))


async def test_figures_of_a_hand_built_week(store: Store) -> None:
    await build_history(store)
    found = await read_insights(store, WEEK, now=NOW)

    assert found.since == NOW - WEEK and found.until == NOW
    days = [f"2026-03-{day:02d}" for day in range(3, 11)]
    assert found.throughput == [(d, {"2026-03-05": 1, "2026-03-08": 1}.get(d, 0)) for d in days]
    assert found.completed == 2
    # Waits: 600, 300, 720, 0 (straight after the review), 480, 1800, 2700.
    assert found.waits == Spread(7, 600.0, 2700.0)
    # Work runs that ended: 600, 1500, 420, 900; reviews: 180, 120.
    assert found.runs == Spread(4, 600.0, 1500.0)
    assert found.reviews == Spread(2, 120.0, 180.0)

    alice, bob, carol = found.agents
    assert alice == AgentInsight("alice", 3, 2, 1, 3.5, 2, 1)
    assert alice.success_rate == pytest.approx(2 / 3) and alice.cost_per_done == 3.5
    assert bob == AgentInsight("bob", 1, 1, 1, pytest.approx(1.05), 0, 0)  # type: ignore[arg-type]
    assert carol == AgentInsight("carol", 0, 0, 0, pytest.approx(0.1), 0, 0)  # type: ignore[arg-type]
    assert carol.success_rate is None and carol.cost_per_done is None
    assert found.cost_usd == pytest.approx(4.65)

    assert [t.task_id for t in found.costliest] == ["TASK-001", "TASK-002", "TASK-004"]
    assert found.costliest[0] == CostlyTask(
        "TASK-001", "Fix the login", "done", 4.25, 5, 1, 1, 3900, 770, 4
    )
    assert found.costliest[0].why() == (
        "5 runs, 1 retry, 1 review round, 4.7k tokens, 4 tool calls"
    )
    assert found.costliest[1].tool_calls == 0 and found.costliest[1].runs == 1


async def test_the_window_and_the_limit(store: Store) -> None:
    await build_history(store)
    day = await read_insights(store, timedelta(days=1), now=NOW)
    assert day.throughput == [("2026-03-09", 0), ("2026-03-10", 0)]
    assert day.waits == Spread(1, 2700.0, 2700.0)
    assert day.runs == Spread(0, None, None) and day.reviews == Spread(0, None, None)
    assert [a.agent for a in day.agents] == ["carol"]
    assert [t.task_id for t in day.costliest] == ["TASK-004"]

    every = await read_insights(store, timedelta(weeks=8), now=NOW, costliest=1)
    assert [(t.task_id, t.cost_usd) for t in every.costliest] == [("TASK-003", 9.0)]
    assert every.completed == 3
    assert every.agents[0] == AgentInsight("alice", 4, 3, 2, 12.5, 2, 1)


async def test_nothing_yet(store: Store) -> None:
    found = await read_insights(store, timedelta(days=2), now=NOW)
    assert found.completed == 0 and found.agents == [] and found.costliest == []
    assert found.waits == Spread(0, None, None)
    assert len(found.throughput) == 3


async def test_what_one_task_cost(store: Store) -> None:
    await build_history(store)
    cost = await read_task_cost(store, "TASK-001")
    assert cost.title == "Fix the login" and cost.cost_usd == 4.25
    assert [(r.agent, r.kind, r.outcome, r.seconds) for r in cost.runs] == [
        ("alice", "work", "failed", 600.0),
        ("alice", "work", "done", 1500.0),
        ("bob", "review", "changes", 180.0),
        ("alice", "work", "done", 420.0),
        ("bob", "review", "approved", 120.0),
    ]
    assert cost.runs[0].tool_calls == ["read_file: src/login.py", "run_tests: 2 failed"]
    assert cost.runs[0].started_at == at(5, 10, 10)
    assert (await read_task_cost(store, "TASK-004")).runs[0].seconds is None
    with pytest.raises(DomainError, match="no task TASK-404"):
        await read_task_cost(store, "TASK-404")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
     ("90m", timedelta(minutes=90))],
)  # fmt: skip
def test_since_windows(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["7x", "-3d", "0d", "d", "7", "1.5d", ""])
def test_bad_since(text: str) -> None:
    with pytest.raises(DomainError, match="not a window"):
        parse_since(text)


async def test_time_figures_rank_the_newest_runs_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maos_tui.store import insights_views

    await build_history(store)
    monkeypatch.setattr(insights_views, "TIMED_RUNS", 2)
    found = await read_insights(store, WEEK, now=NOW)
    # Carol's open run (waited 2700 s) and bob's TASK-002 run (waited 1800 s, ran 900 s).
    assert found.waits == Spread(2, 1800.0, 2700.0)
    assert found.runs == Spread(1, 900.0, 900.0)
    assert found.reviews == Spread(0, None, None)
    assert found.agents[0] == AgentInsight("alice", 3, 2, 1, 3.5, 2, 1)  # not capped
