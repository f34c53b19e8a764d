"""Runs that start or end together share transactions and reads; each run's record, its
Activities and its events are those it would get alone, and one run that cannot be
recorded does not take the others down."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fakes.instant import InstantRunner
from fakes.support import PATIENCE, make_scheduler, run_until_idle, until
from sqlalchemy import event, select

from maos_tui.agents.base import Job
from maos_tui.agents.context import gather, gather_many
from maos_tui.config import Workspace
from maos_tui.domain import HUMAN, AgentStatus, TaskStatus
from maos_tui.events import Event
from maos_tui.store import Store
from maos_tui.store.models import Activity, Run


async def history(store: Store, task_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    async with store.read() as conn:
        rows = await conn.execute(
            select(Activity.actor, Activity.verb, Activity.details)
            .where(Activity.task_id == task_id)
            .order_by(Activity.id)
        )
        return [(actor, verb, json.loads(details)) for actor, verb, details in rows.all()]


def count_write_transactions(store: Store) -> list[int]:
    begun = [0]

    def on_begin(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            begun[0] += 1

    event.listen(store.engine.sync_engine, "before_cursor_execute", on_begin)
    return begun


async def test_runs_ending_together_are_recorded_together_each_with_its_history(
    store: Store, workspace: Path
) -> None:
    for n in range(5):
        await store.agents.add(f"a{n}", command=["true"])
    tasks = [await store.tasks.create(f"job {n}") for n in range(10)]
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    writes = count_write_transactions(store)
    runner = InstantRunner()
    config = "[scheduler]\nmax_parallel = 5\n"
    await run_until_idle(make_scheduler(store, workspace, config, runner_factory=runner.factory))

    # Ten runs, five at a time: two batches of starts and two of ends (and a few
    # heartbeats), far from the two transactions per run it takes one by one.
    assert writes[0] <= 8, writes[0]
    for task in tasks:
        done = await store.tasks.get(task.id)
        assert done.status is TaskStatus.DONE
        assert done.result == f"done {task.id}"
        (run,) = await store.runs.for_task(task.id)
        agent = run.agent_name
        assert (run.outcome, run.error, run.output_log) == ("done", None, f"working on {task.id}\n")
        assert done.assignees == (agent,)
        assert await history(store, task.id) == [
            (HUMAN, "created", {"title": task.title, "status": "inbox"}),
            ("scheduler", "assigned", {"agents": [agent], "status": "assigned"}),
            ("scheduler", "moved", {"from": "assigned", "to": "in_progress"}),
            (agent, "started", {"run": run.id, "kind": "work"}),
            (agent, "completed", {"from": "in_progress", "to": "done"}),
        ]
    assert all(a.status is AgentStatus.IDLE for a in await store.agents.list())
    # Every Activity was published once, after its commit, with its saved ID.
    published = [e.activity.id for e in seen if e.activity is not None]
    async with store.read() as conn:
        saved = (await conn.execute(select(Activity.id).order_by(Activity.id))).scalars().all()
    assert sorted(published) == [i for i in saved if i > min(published) - 1]
    assert len(set(published)) == len(published)


async def test_an_agent_with_another_run_stays_active_until_its_last_run_ends(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("solo", command=["true"], max_concurrent=2)
    quick = await store.tasks.create("quick")
    slow = await store.tasks.create("slow")
    release = asyncio.Event()

    class Runner(InstantRunner):
        async def run(self, job: Job, hooks: Any) -> Any:
            if job.task.id == slow.id:
                await release.wait()
            return await super().run(job, hooks)

    runner = Runner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    try:
        await until(lambda: _status(store, quick.id, TaskStatus.DONE))
        assert (await store.agents.get("solo")).status is AgentStatus.ACTIVE
        release.set()
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    assert (await store.agents.get("solo")).status is AgentStatus.IDLE


async def test_a_run_that_cannot_be_recorded_does_not_lose_the_others(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(4):
        await store.agents.add(f"a{n}", command=["true"])
    tasks = [await store.tasks.create(f"job {n}") for n in range(4)]
    broken = tasks[2].id
    broken_runs: set[int] = set()

    def decide(job: Job) -> None:
        if job.task.id == broken:
            broken_runs.add(job.run_id)

    finish_many_in = store.runs.finish_many_in
    sizes: list[int] = []

    async def failing(tx: Any, ends: Any) -> None:
        sizes.append(len(ends))
        if any(run_id in broken_runs for run_id, _, _ in ends):
            raise RuntimeError("cannot record this one")
        await finish_many_in(tx, ends)

    monkeypatch.setattr(store.runs, "finish_many_in", failing)
    runner = InstantRunner(decide=decide)
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    try:
        await until(lambda: _ended_except(store, broken, len(tasks) - 1))
    finally:
        await scheduler.stop()
    for task in tasks:
        done = (await store.tasks.get(task.id)).status is TaskStatus.DONE
        assert done is (task.id != broken)
    assert max(sizes) > 1  # the broken run ended with others, which were then recorded alone
    assert "could not record the end of run" in caplog.text
    # Its runs are left open, as after a crash (the next scheduler's recovery requeues
    # the task), unless the last one was stopped by the shutdown, which requeued it.
    async with store.read() as conn:
        open_runs = await store.runs.open_runs(conn)
    assert {r.task_id for r in open_runs} <= {broken}


async def test_contexts_read_together_are_those_read_alone(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    await store.agents.add("a2", command=["true"])
    parent = await store.tasks.create("parent")
    dep = await store.tasks.create("dependency")
    await store.tasks.move(dep.id, TaskStatus.DONE)
    one = await store.tasks.create("one", parent=parent.id, after=[dep.id])
    two = await store.tasks.create("two", after=[dep.id, parent.id])
    three = await store.tasks.create("three")
    for n in range(60):  # more than a context keeps
        await store.messages.post(one.id, HUMAN, f"note {n}")
    await store.messages.post(two.id, HUMAN, "@a2 have a look")
    await store.messages.post(three.id, HUMAN, "@a1 not for a2")
    tasks = [await store.tasks.get(t.id) for t in (one, two, three)]
    wanted: list[tuple[Any, str | None]] = [(tasks[0], "a1"), (tasks[1], "a2"), (tasks[2], None)]
    together = await gather_many(store, Workspace(workspace), wanted)
    assert together[0]["notifications"] == []
    (mention,) = together[1]["notifications"]
    assert mention["text"].endswith("@a2 have a look")
    assert "notifications" not in together[2]
    assert [m["text"] for m in together[0]["messages"]] == [f"note {n}" for n in range(10, 60)]
    assert together[0]["parent"]["id"] == parent.id
    assert [d["id"] for d in together[0]["dependencies"]] == [dep.id]
    assert [d["id"] for d in together[1]["dependencies"]] == [parent.id, dep.id]
    # Claimed once: read again, alone, the same contexts have no mention left to deliver.
    for (task, agent), context in zip(wanted, together, strict=True):
        alone = await gather(store, Workspace(workspace), task, agent)
        if agent is not None:
            assert alone.pop("notifications") == []
            context.pop("notifications")
        assert alone == context


async def _status(store: Store, task_id: str, status: TaskStatus) -> bool:
    return (await store.tasks.get(task_id)).status is status


async def _ended_except(store: Store, broken: str, count: int) -> bool:
    async with store.read() as conn:
        rows = await conn.execute(
            select(Run.task_id).where(Run.ended_at.is_not(None), Run.task_id != broken)
        )
        return len(rows.all()) >= count
