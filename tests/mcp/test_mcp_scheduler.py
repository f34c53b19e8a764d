"""The scheduler and MCP claims: it never starts an agent on a claimed task, and it
returns a claim whose client went quiet to the inbox (the stall rule: 3 heartbeats)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler, run_until_idle, until

from maos_tui.domain import TaskStatus
from maos_tui.store import Store, claims


async def test_a_claimed_task_is_never_given_to_an_agent(store: Store, workspace: Path) -> None:
    await store.agents.add("bot", command=["true"])
    await store.agents.set_paused("bot", True)  # until the claim is made
    runner = InstantRunner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    try:
        taken = await store.tasks.create("claimed over MCP")
        free = await store.tasks.create("free")
        claim = await claims.claim_next(store, "human")
        assert claim is not None and claim.task.id == taken.id
        await store.agents.set_paused("bot", False)

        async def free_done() -> bool:
            return (await store.tasks.get(free.id)).status is TaskStatus.DONE

        await until(free_done, message="the free task was never run")
        await scheduler.settle()
    finally:
        await scheduler.stop()
    assert {task for _, task, _ in runner.log} == {free.id}
    assert (await store.tasks.get(taken.id)).status is TaskStatus.IN_PROGRESS


async def test_the_scheduler_releases_a_quiet_claim(store: Store, workspace: Path) -> None:
    await store.agents.add("claude", command=["true"], heartbeat_seconds=1)
    await store.agents.set_paused("claude", True)  # so nothing runs the task once released
    scheduler = make_scheduler(store, workspace, runner_factory=InstantRunner().factory)
    await scheduler.start()
    try:
        task = await store.tasks.create("left behind")
        claim = await claims.claim_next(store, "claude")
        assert claim is not None and claim.task.assignees == ("claude",)

        async def released() -> bool:
            return (await store.tasks.get(task.id)).status is TaskStatus.INBOX

        await until(released, message="the scheduler never released the quiet claim")
    finally:
        await scheduler.stop()
    back = await store.tasks.get(task.id)
    assert back.assignees == ()  # the claim's assignment goes with it
    [run] = await store.runs.for_task(task.id)
    assert run.kind == "claim" and run.outcome == "stalled"


async def test_a_refreshed_claim_is_kept(store: Store, workspace: Path) -> None:
    await store.agents.add("claude", command=["true"], heartbeat_seconds=1)
    await store.tasks.create("kept")
    claim = await claims.claim_next(store, "claude")
    assert claim is not None
    for _ in range(8):  # well past 3 heartbeats, refreshed all along
        assert await claims.heartbeat(store, [claim.run_id]) == [claim.run_id]
        assert await claims.release_stale(store) == []
        await asyncio.sleep(0.5)


async def test_a_claimed_task_moved_by_a_person_is_scheduled_again(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("bot", command=["true"])
    await store.agents.set_paused("bot", True)
    runner = InstantRunner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    try:
        task = await store.tasks.create("taken back")
        claim = await claims.claim_next(store, "human")
        assert claim is not None
        await store.tasks.move(task.id, TaskStatus.INBOX)  # the person takes it back
        await store.agents.set_paused("bot", False)

        async def done() -> bool:
            return (await store.tasks.get(task.id)).status is TaskStatus.DONE

        await until(done, message="the task stayed held by a claim that is over")
    finally:
        await scheduler.stop()
    await claims.release_stale(store)  # the next sweep ends the claim that is over
    runs = {run.kind: run for run in await store.runs.for_task(task.id)}
    assert runs["claim"].outcome == "moved" and runs["claim"].error == "the task was moved to done"


async def test_a_starting_scheduler_leaves_live_claims_alone(store: Store, workspace: Path) -> None:
    """Opening the TUI (or `run`) while an MCP client works on a task: its recovery of
    what a dead scheduler left behind does not count the claim among them."""
    await store.agents.add("bot", command=["true"])
    taken = await store.tasks.create("claimed before the board opened")
    claim = await claims.claim_next(store, "human")
    assert claim is not None
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    task = await store.tasks.get(taken.id)
    assert task.status is TaskStatus.IN_PROGRESS and task.retry_count == 0
    assert runner.log == []
    [run] = await store.runs.for_task(taken.id)
    assert run.kind == "claim" and run.ended_at is None
