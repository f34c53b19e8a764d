"""Retries with backoff, review rounds, budgets, stop, stalls, crash recovery, the lock."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.instant import InstantRunner
from fakes.support import PATIENCE, FakeClock, make_scheduler, run_until_idle, until
from sqlalchemy import select

from maos_tui.agents.base import Job, Outcome, RunResult
from maos_tui.config import Workspace
from maos_tui.domain import AgentStatus, DomainError, TaskStatus
from maos_tui.scheduler import SchedulerBusy, backoff_seconds, scheduler_holder
from maos_tui.store import Store
from maos_tui.store.models import Activity


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert [backoff_seconds(n, 2, 300, lambda: 1.0) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff_seconds(20, 2, 300, lambda: 1.0) == 300
    assert backoff_seconds(3, 2, 300, lambda: 0.0) == 4  # jitter keeps at least half a step


async def test_failure_retries_after_backoff_on_the_injected_clock(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("flaky")
    failures = iter([True])
    runner = InstantRunner(
        decide=lambda job: RunResult.failed("boom") if next(failures, False) else None
    )
    clock = FakeClock()
    scheduler = make_scheduler(
        store, workspace, runner_factory=runner.factory, clock=clock, rand=lambda: 1.0
    )
    await scheduler.start()
    try:
        await until(lambda: _has(store, task.id, lambda t: t.retry_count == 1))
        waiting = await store.tasks.get(task.id)
        assert waiting.status is TaskStatus.INBOX
        assert waiting.last_error == "boom"
        assert waiting.retry_at == clock.now() + timedelta(seconds=2)
        assert waiting.assignees == ()  # the scheduler's pick is forgotten on requeue
        await scheduler.settle()
        await scheduler.settle()
        assert [e for e, *_ in runner.log].count("start") == 1  # still backing off
        clock.advance(2)
        scheduler.wake()
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    done = await store.tasks.get(task.id)
    assert done.status is TaskStatus.DONE
    assert [e for e, *_ in runner.log].count("start") == 2


async def test_retries_run_out_then_failed_with_error_and_human_retry_resets(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("doomed")
    runner = InstantRunner(decide=lambda job: RunResult.failed(f"error {job.run_id}"))
    config = "[scheduler]\nretry_base_seconds = 0\n"
    await run_until_idle(make_scheduler(store, workspace, config, runner_factory=runner.factory))
    failed = await store.tasks.get(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.retry_count == 3
    assert failed.last_error == "error 4"
    assert len(await store.runs.for_task(task.id)) == 4

    await store.tasks.retry(task.id)
    runner.decide = None
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE


async def test_timeout_counts_as_failure(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "slow", max_retries=0, timeout_seconds=1)
    runner = InstantRunner(delay=30)
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.FAILED
    assert task.last_error == "timed out after 1s"


def review_runner(verdicts: list[str]) -> InstantRunner:
    """Reviews take the next verdict: "changes" or "approve"; work always succeeds."""
    queue = iter(verdicts)

    def decide(job: Job) -> RunResult | None:
        if job.kind != "review":
            return None
        if next(queue) == "changes":
            return RunResult(Outcome.CHANGES, f"fix round {job.task.review_rounds + 1}")
        return RunResult.done("looks good")

    return InstantRunner(decide=decide)


async def test_review_requests_changes_then_approves(store: Store, workspace: Path) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("critic", command=["true"], capabilities=["review"])
    task = await store.tasks.create("feature", needs=[])
    runner = review_runner(["changes", "approve"])
    contexts: list[dict[str, object]] = []
    decide = runner.decide
    runner.decide = lambda job: contexts.append(job.context) or decide(job)  # type: ignore[misc]
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))

    done = await store.tasks.get(task.id)
    assert done.status is TaskStatus.DONE
    assert done.review_rounds == 1
    assert done.result == f"done {task.id}"
    kinds = [(e, a) for e, t, a in runner.log if e == "start"]
    assert kinds == [
        ("start", "coder"),
        ("start", "critic"),
        ("start", "coder"),
        ("start", "critic"),
    ]
    rework = contexts[2]
    assert rework["review_feedback"] == {"reviewer": "critic", "changes": "fix round 1"}


async def test_three_review_rounds_then_failed(store: Store, workspace: Path) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("critic", command=["true"], capabilities=["review"])
    task = await store.tasks.create("never good enough")
    runner = review_runner(["changes"] * 3)
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    failed = await store.tasks.get(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.last_error is not None and "3 times" in failed.last_error


async def test_reviewer_never_reviews_its_own_work(store: Store, workspace: Path) -> None:
    await store.agents.add("both", command=["true"], capabilities=["review"])
    task = await store.tasks.create("solo work")
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    # The only reviewer is the author, so there is no review gate: straight to done.
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    assert [k for k, *_ in runner.log].count("start") == 1


async def test_agent_budget_pauses_the_agent_with_reason(store: Store, workspace: Path) -> None:
    await store.agents.add("spender", command=["true"], budget_tokens=15)
    first = await store.tasks.create("first")
    second = await store.tasks.create("second")
    runner = InstantRunner(tokens=(10, 5))
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    agent = await store.agents.get("spender")
    assert agent.status is AgentStatus.PAUSED
    assert agent.status_reason == "budget reached: 15 of 15 tokens"
    assert (await store.tasks.get(first.id)).status is TaskStatus.DONE
    waiting = await store.tasks.get(second.id)
    assert waiting.status is TaskStatus.INBOX
    assert "budget reached" in (waiting.status_reason or "")


async def test_workspace_budget_pauses_the_scheduler(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    await store.tasks.create("first")
    second = await store.tasks.create("second")
    runner = InstantRunner(tokens=(100, 0))
    scheduler = make_scheduler(
        store, workspace, "[scheduler]\nbudget_tokens = 50\n", runner_factory=runner.factory
    )
    await scheduler.start()
    try:
        await until(lambda: _has(store, "TASK-001", lambda t: t.status is TaskStatus.DONE))
        await scheduler.settle()
        assert scheduler.state == "paused"
        assert scheduler.reason == "workspace budget reached: 100 of 50 tokens"
        assert (await store.tasks.get(second.id)).status is TaskStatus.INBOX
    finally:
        await scheduler.stop()


async def test_pause_and_resume(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("later")
    runner = InstantRunner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    scheduler.pause()
    await scheduler.start()
    try:
        assert scheduler.state == "paused"
        await scheduler.settle()
        assert runner.log == []
        scheduler.resume()
        await until(lambda: _has(store, task.id, lambda t: t.status is TaskStatus.DONE))
    finally:
        await scheduler.stop()
    assert scheduler.state == "off"


async def test_stop_requeues_running_tasks_without_counting_a_retry(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("long")
    runner = InstantRunner(delay=30)
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    await until(lambda: asyncio.sleep(0, bool(scheduler.active_runs)))
    assert task.id in scheduler.active_runs
    await scheduler.stop()
    back = await store.tasks.get(task.id)
    assert back.status is TaskStatus.INBOX
    assert back.retry_count == 0
    assert back.assignees == ()
    [run] = await store.runs.for_task(task.id)
    assert run.outcome == "interrupted"
    assert (await store.agents.get("a1")).status is AgentStatus.IDLE


async def test_cancel_stops_the_run(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("cancel me")
    runner = InstantRunner(delay=30)
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    try:
        await until(lambda: asyncio.sleep(0, bool(scheduler.active_runs)))
        await store.tasks.cancel(task.id)
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    assert (await store.tasks.get(task.id)).status is TaskStatus.CANCELLED
    [run] = await store.runs.for_task(task.id)
    assert run.outcome == "cancelled"


async def test_stalled_agent_goes_offline_and_its_task_is_requeued(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("sleepy", command=["true"], heartbeat_seconds=1)
    task = await store.tasks.create("stuck")

    class Silent:  # never reports progress
        async def run(self, job: Job, hooks: object) -> RunResult:
            await asyncio.sleep(60)
            raise AssertionError("unreachable")

    scheduler = make_scheduler(store, workspace, runner_factory=lambda agent: Silent())
    await scheduler.start()
    try:
        await until(lambda: _has(store, task.id, lambda t: t.retry_count == 1))
        back = await store.tasks.get(task.id)
        assert back.status is TaskStatus.INBOX
        assert back.last_error == "stalled: the agent stopped making progress"
        [run] = await store.runs.for_task(task.id)
        assert run.outcome == "failed"
        async with store.read() as conn:
            verbs = await conn.execute(
                select(Activity.verb, Activity.details).where(Activity.actor == "scheduler")
            )
            offline = [d for v, d in verbs.all() if v == "marked agent offline"]
        assert len(offline) == 1 and "stalled: no progress" in offline[0]
    finally:
        await scheduler.stop()


async def test_recovery_requeues_tasks_a_dead_scheduler_left(store: Store, workspace: Path) -> None:
    await store.agents.add("a1", command=["true"])
    task = await store.tasks.create("orphan", assignees=["a1"])
    async with store.write() as tx:
        await store.tasks.move_in(tx, task.id, TaskStatus.IN_PROGRESS, actor="scheduler")
        await store.runs.start_in(tx, task.id, "a1")
    runner = InstantRunner()
    await run_until_idle(make_scheduler(store, workspace, runner_factory=runner.factory))
    done = await store.tasks.get(task.id)
    assert done.status is TaskStatus.DONE
    assert done.retry_count == 1
    first, second = await store.runs.for_task(task.id)
    assert first.outcome == "crashed"
    assert second.outcome == "done"


async def test_one_scheduler_per_workspace_on_sqlite_several_on_postgresql(
    store: Store, workspace: Path
) -> None:
    first = make_scheduler(store, workspace, runner_factory=InstantRunner().factory)
    second = make_scheduler(store, workspace, runner_factory=InstantRunner().factory)
    assert scheduler_holder(Workspace(workspace)) is None
    await first.start()
    if store.shared:  # each is a worker of its own name: both may run, not two of one name
        with pytest.raises(DomainError, match="already running"):
            await second.start()
        second = make_scheduler(
            store, workspace, runner_factory=InstantRunner().factory, worker="second"
        )
        await second.start()
        await second.stop()
        await first.stop()
        return
    try:
        assert scheduler_holder(Workspace(workspace)) == os.getpid()
        with pytest.raises(SchedulerBusy, match=rf"already running .*pid {os.getpid()}"):
            await second.start()
    finally:
        await first.stop()
    assert scheduler_holder(Workspace(workspace)) is None
    await second.start()
    await second.stop()


async def _has(store: Store, task_id: str, check: object) -> bool:
    return bool(check(await store.tasks.get(task_id)))  # type: ignore[operator]
