"""Assignment and ordering: dependencies, parallel limits, capabilities, no double runs."""

from __future__ import annotations

import random
from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler, run_until_idle

from maos_tui.domain import TaskStatus
from maos_tui.store import Store


async def add_agent(store: Store, name: str, *caps: str, max_concurrent: int = 1) -> None:
    await store.agents.add(
        name, command=["true"], capabilities=list(caps), max_concurrent=max_concurrent
    )


def ends_before_start(log: list[tuple[str, str, str]], first: str, then: str) -> bool:
    end = log.index(("end", first, next(a for e, t, a in log if t == first)))
    start = next(i for i, (event, task, _) in enumerate(log) if event == "start" and task == then)
    return end < start


async def test_chain_and_diamond_run_in_dependency_order(store: Store, workspace: Path) -> None:
    await add_agent(store, "a1")
    await add_agent(store, "a2")
    top = await store.tasks.create("top")
    left = await store.tasks.create("left", after=[top.id])
    right = await store.tasks.create("right", after=[top.id])
    bottom = await store.tasks.create("bottom", after=[left.id, right.id])
    tail = await store.tasks.create("tail", after=[bottom.id])
    runner = InstantRunner(delay=0.02)
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))

    for task in await store.tasks.list():
        assert task.status is TaskStatus.DONE, task
        assert task.result == f"done {task.id}"
    log = runner.log
    for first, then in [
        (top.id, left.id),
        (top.id, right.id),
        (left.id, bottom.id),
        (right.id, bottom.id),
        (bottom.id, tail.id),
    ]:
        assert ends_before_start(log, first, then), (first, then, log)


async def test_independent_tasks_run_in_parallel_up_to_max_parallel(
    store: Store, workspace: Path
) -> None:
    for name in ("a1", "a2", "a3"):
        await add_agent(store, name)
    for number in range(6):
        await store.tasks.create(f"job {number}")
    runner = InstantRunner(delay=0.1)
    scheduler = make_scheduler(
        store, workspace, "[scheduler]\nmax_parallel = 2\n", runner_factory=runner.factory
    )
    await run_until_idle(scheduler)
    assert runner.peak == 2
    assert all(t.status is TaskStatus.DONE for t in await store.tasks.list())


async def test_agent_max_concurrent_is_respected(store: Store, workspace: Path) -> None:
    await add_agent(store, "solo", max_concurrent=3)
    for number in range(7):
        await store.tasks.create(f"job {number}")
    runner = InstantRunner(delay=0.1)
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    assert runner.peak == 3


async def test_capabilities_route_tasks_and_unplaceable_tasks_say_why(
    store: Store, workspace: Path
) -> None:
    await add_agent(store, "coder", "python")
    await add_agent(store, "dba", "sql")
    query = await store.tasks.create("write the query", needs=["sql"])
    script = await store.tasks.create("write the script", needs=["python"])
    rusty = await store.tasks.create("port to rust", needs=["rust"])
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))

    started = {task: agent for event, task, agent in runner.log if event == "start"}
    assert started == {query.id: "dba", script.id: "coder"}
    stuck = await store.tasks.get(rusty.id)
    assert stuck.status is TaskStatus.INBOX
    assert stuck.status_reason == "no agent with capability: rust"


async def test_explicit_assignee_gets_the_task_even_when_others_are_free(
    store: Store, workspace: Path
) -> None:
    for name in ("a1", "a2", "a3"):
        await add_agent(store, name)
    task = await store.tasks.create("for a3 only", assignees=["a3"])
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    assert [a for e, t, a in runner.log if e == "start" and t == task.id] == ["a3"]


async def test_paused_assignee_keeps_task_waiting_with_reason(
    store: Store, workspace: Path
) -> None:
    await add_agent(store, "a1")
    await store.agents.set_paused("a1", True)
    task = await store.tasks.create("waits", assignees=["a1"])
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    waiting = await store.tasks.get(task.id)
    assert waiting.status is TaskStatus.ASSIGNED
    assert waiting.status_reason == "waiting: a1 is paused (paused by human)"
    assert runner.log == []


async def test_priority_then_age_decides_order(store: Store, workspace: Path) -> None:
    await add_agent(store, "only")
    low = await store.tasks.create("low", priority=3)
    old = await store.tasks.create("old", priority=1)
    new = await store.tasks.create("new", priority=1)
    urgent = await store.tasks.create("urgent", priority=0)
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    starts = [t for e, t, _ in runner.log if e == "start"]
    assert starts == [urgent.id, old.id, new.id, low.id]


async def test_no_double_assignment_under_load(store: Store, workspace: Path) -> None:
    for number in range(5):
        await add_agent(store, f"agent{number}", max_concurrent=2)
    rng = random.Random(7)
    ids: list[str] = []
    for number in range(200):
        after = rng.sample(ids[-20:], k=min(len(ids[-20:]), rng.randint(0, 2)))
        ids.append((await store.tasks.create(f"t{number}", after=after)).id)
    runner = InstantRunner()
    scheduler = make_scheduler(
        store, workspace, "[scheduler]\nmax_parallel = 8\n", runner_factory=runner.factory
    )
    await run_until_idle(scheduler, timeout=60)

    starts = [t for e, t, _ in runner.log if e == "start"]
    assert sorted(starts) == sorted(ids)  # every task ran, and exactly once
    assert runner.overlaps == []
    assert runner.peak <= 8
    assert all(t.status is TaskStatus.DONE for t in await store.tasks.list())
