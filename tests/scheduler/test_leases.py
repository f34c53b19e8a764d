"""Leases at the store: a run's end is fenced by its attempt, a lost worker's runs are
taken back with a retry counted, and the limits count every worker's runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.support import make_scheduler
from sqlalchemy import select

from maos_tui.agents.base import RunResult
from maos_tui.domain import TaskStatus
from maos_tui.scheduler.active import ActiveRun
from maos_tui.scheduler.outcomes import finish_runs
from maos_tui.scheduler.recovery import reap
from maos_tui.store import Store
from maos_tui.store.leases import ClaimBusy, LeaseTerms
from maos_tui.store.models import Activity
from maos_tui.store.scheduling import RunStart, Started


async def _start(store: Store, task_id: str, agent: str, terms: LeaseTerms) -> list[Started]:
    task = await store.tasks.get(task_id)
    async with store.write() as tx:
        return await store.scheduling.start_runs_in(tx, [RunStart(task, agent, "work")], terms)


def _active(started: Started, agent: str) -> ActiveRun:
    return ActiveRun(
        run_id=started.run_id,
        attempt=started.attempt,
        task_id=started.task.id,
        agent=agent,
        kind="work",
        started_at=started.task.updated_at,
        heartbeat_seconds=30,
        last_progress=0.0,
    )


async def test_an_old_attempts_end_is_refused(store: Store, workspace: Path) -> None:
    await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("Fenced", assignees=["coder"])
    # A lease of no length: worker w1 is dead as soon as the run starts.
    [first] = await _start(store, task.id, "coder", LeaseTerms("w1", 0, 4))
    assert first.attempt == 1
    s = make_scheduler(store, workspace, worker="w2")
    await reap(s, "w2")
    requeued = await store.tasks.get(task.id)
    assert (requeued.status, requeued.retry_count) == (TaskStatus.INBOX, 1)
    [second] = await _start(store, task.id, "coder", LeaseTerms("w2", 60, 4))
    assert (second.attempt, second.run_id != first.run_id) == (2, True)

    # w1 comes back and says its run is done: refused, and the newer attempt stands.
    await finish_runs(s, [(_active(first, "coder"), RunResult.done("old result"))])
    task_now = await store.tasks.get(task.id)
    assert task_now.status is TaskStatus.IN_PROGRESS and task_now.result is None
    runs = {r.id: r for r in await store.runs.for_task(task.id)}
    assert runs[first.run_id].outcome == "crashed" and runs[second.run_id].ended_at is None
    async with store.read() as conn:
        refused = (
            await conn.execute(select(Activity.actor).where(Activity.verb == "result refused"))
        ).all()
    assert refused == [("coder",)]

    # The current attempt's end is recorded.
    await finish_runs(s, [(_active(second, "coder"), RunResult.done("new result"))])
    done = await store.tasks.get(task.id)
    assert (done.status, done.result) == (TaskStatus.DONE, "new result")
    async with store.read() as conn:
        finished = (await store.runs.for_task(task.id, conn))[-1]
    assert finished.outcome == "done"


async def test_a_live_lease_is_never_taken_twice(store: Store) -> None:
    if not store.shared:
        pytest.skip("on SQLite the workspace lock allows one scheduler, which plans with all")
    await store.agents.add("coder", command=["true"], max_concurrent=4)
    task = await store.tasks.create("Once", assignees=["coder"])
    assert len(await _start(store, task.id, "coder", LeaseTerms("w1", 60, 4))) == 1
    # Another worker planned the task from an older read: it is not admitted again.
    again = await store.tasks.get(task.id)
    async with store.write() as tx:
        twice = await store.scheduling.start_runs_in(
            tx, [RunStart(again, "coder", "work")], LeaseTerms("w2", 60, 4)
        )
    assert twice == []
    assert len(await store.runs.for_task(task.id)) == 1


async def test_limits_count_every_workers_runs(store: Store) -> None:
    if not store.shared:
        pytest.skip("on SQLite the workspace lock allows one scheduler, which plans with all")
    await store.agents.add("coder", command=["true"], max_concurrent=2)
    await store.agents.add("other", command=["true"], max_concurrent=5)
    tasks = [await store.tasks.create(f"T{i}") for i in range(6)]
    w1, w2 = LeaseTerms("w1", 60, 3), LeaseTerms("w2", 60, 3)
    assert len(await _start(store, tasks[0].id, "coder", w1)) == 1
    assert len(await _start(store, tasks[1].id, "coder", w2)) == 1
    # coder runs twice already, on two workers: its max_concurrent is reached.
    assert await _start(store, tasks[2].id, "coder", w1) == []
    assert len(await _start(store, tasks[3].id, "other", w2)) == 1
    # Three runs across the workers: max_parallel is reached for any agent.
    assert await _start(store, tasks[4].id, "other", w1) == []


async def test_a_claim_does_not_wait_for_another_workers_claim(store: Store) -> None:
    if not store.shared:
        pytest.skip("on SQLite the workspace lock allows one scheduler, which plans with all")
    await store.agents.add("coder", command=["true"], max_concurrent=4)
    first = await store.tasks.create("First")
    second = await store.tasks.create("Second")
    other = await Store.open(store.url)  # another worker's connection
    try:
        async with other.write() as holding:
            await other.leases.admit_in(holding, [(first.id, "coder")], 4)  # holds the lock
            with pytest.raises(ClaimBusy):
                await _start(store, second.id, "coder", LeaseTerms("w2", 60, 4))
        # Its claim committed: the next one goes ahead.
        assert len(await _start(store, second.id, "coder", LeaseTerms("w2", 60, 4))) == 1
    finally:
        await other.close()
