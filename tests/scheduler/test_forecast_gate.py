"""`[scheduler] forecast_gate`: a run whose forecast would pass a budget waits, its card
says why, and a person can let it start once (store/forecast_holds.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import ONE_WORKER, PATIENCE, make_scheduler, until
from sqlalchemy import select

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.forecast_holds import ALLOWED_VERB, HELD_VERB
from maos_tui.store.models import Activity
from maos_tui.store.scheduling import RunStart

GATED = "[scheduler]\nmax_parallel = 1\nforecast_gate = true\nbudget_usd = 2.5\n"


async def _details(store: Store, task_id: str, verb: str) -> list[dict[str, object]]:
    async with store.read() as conn:
        rows = await conn.execute(
            select(Activity.details).where(Activity.task_id == task_id, Activity.verb == verb)
        )
        return [json.loads(d) for (d,) in rows.all()]


async def _status(store: Store, task_id: str) -> TaskStatus:
    return (await store.tasks.get(task_id)).status


async def test_a_run_that_would_pass_the_budget_is_held_until_allowed(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("a1", command=["true"])
    tasks = [await store.tasks.create(name) for name in ("first", "second", "third")]
    runner = InstantRunner(cost_usd=1.0)  # every run costs $1.00
    scheduler = make_scheduler(store, workspace, GATED, runner_factory=runner.factory)
    await scheduler.start()
    try:
        # No history: the first forecast is zero, so it runs. Then $1.00 a task: the second
        # ($1.00 spent + $1.00 ≤ $2.50) runs, the third ($2.00 + $1.00) would pass.
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
        third = await store.tasks.get(tasks[2].id)
        assert [await _status(store, t.id) for t in tasks[:2]] == [TaskStatus.DONE] * 2
        assert third.status is TaskStatus.INBOX
        assert third.status_reason == "held: forecast $1.00 would pass budget $2.50"
        assert await _details(store, third.id, HELD_VERB) == [
            {
                "would_run_on": "a1",
                "forecast_usd": 1.0,
                "spent_usd": 2.0,
                "budget_usd": 2.5,
                "basis": "a1: 2 runs, 2 tasks done",
            }
        ]
        assert [t for e, t, _ in runner.log if e == "start"] == [tasks[0].id, tasks[1].id]
        allowed = await store.forecasts.allow(third.id)
        assert allowed.status_reason is None
        await until(
            lambda: _status_is(store, third.id, TaskStatus.DONE),
            message="the allowed task never ran",
        )
    finally:
        await scheduler.stop()
    assert [t for e, t, _ in runner.log if e == "start"] == [t.id for t in tasks]
    assert len(await _details(store, third.id, HELD_VERB)) == 1  # held once, not every pass


async def _status_is(store: Store, task_id: str, status: TaskStatus) -> bool:
    return await _status(store, task_id) is status


async def test_an_agents_own_budget_holds_too(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"], budget_usd=1.5)
    first = await store.tasks.create("first")
    second = await store.tasks.create("second")
    runner = InstantRunner(cost_usd=1.0)
    config = "[scheduler]\nmax_parallel = 1\nforecast_gate = true\n"
    scheduler = make_scheduler(store, workspace, config, runner_factory=runner.factory)
    await scheduler.start()
    try:
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    assert await _status(store, first.id) is TaskStatus.DONE
    held = await store.tasks.get(second.id)
    assert held.status_reason == "held: forecast $1.00 would pass a1's budget $1.50"


async def test_without_the_gate_the_same_runs_start(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    tasks = [await store.tasks.create(name) for name in ("first", "second", "third")]
    runner = InstantRunner(cost_usd=1.0)
    config = "[scheduler]\nmax_parallel = 1\nbudget_usd = 3.5\n"
    scheduler = make_scheduler(store, workspace, config, runner_factory=runner.factory)
    await scheduler.start()
    try:
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    assert [await _status(store, t.id) for t in tasks] == [TaskStatus.DONE] * 3


async def test_an_allowance_lasts_until_the_next_run_starts(store: Store) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("pricey")
    other = await store.tasks.create("other")
    async with store.read() as conn:
        assert await store.forecasts.allowed(conn, [task.id, other.id]) == set()
    await store.forecasts.allow(task.id)
    await store.forecasts.allow(task.id)  # twice is still once
    async with store.read() as conn:
        assert await store.forecasts.allowed(conn, [task.id, other.id]) == {task.id}
    async with store.write() as tx:
        await store.scheduling.start_runs_in(tx, [RunStart(task, "a1", "work")], ONE_WORKER)
    async with store.read() as conn:
        assert await store.forecasts.allowed(conn, [task.id]) == set()
    history = await store.tasks.get(task.id)
    assert history.status is TaskStatus.IN_PROGRESS
    assert len(await _details(store, task.id, ALLOWED_VERB)) == 2
