"""How runs end: done, review, changes requested, retry or failed, and the runs stopped
midway. Runs that end together are recorded in one transaction, through the store's
batch methods."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from maos_tui.agents.base import Outcome, RunResult
from maos_tui.collab import NEEDS_HUMAN
from maos_tui.domain import DomainError, TaskRecord, TaskStatus
from maos_tui.scheduler import worktree_runs
from maos_tui.scheduler.clock import backoff_seconds
from maos_tui.scheduler.planner import REVIEW_CAPABILITY
from maos_tui.scheduler.worktree_runs import finished_status
from maos_tui.store.agent_status import SCHEDULER
from maos_tui.store.task_rows import Move

if TYPE_CHECKING:
    from maos_tui.scheduler.core import ActiveRun, Scheduler
    from maos_tui.store import Tx

MAX_REVIEW_ROUNDS = 3
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the end of a run


async def finish_run(s: Scheduler, active: ActiveRun, result: RunResult | None) -> None:
    """Record how a run ended. `result` is None when the run was cancelled."""
    await finish_runs(s, [(active, result)])


async def finish_runs(s: Scheduler, ends: Sequence[tuple[ActiveRun, RunResult | None]]) -> None:
    """Record how runs ended, all in one transaction: runs that end together (instant
    agents, a batch of quick tasks) cost one commit and a few statements, not a dozen
    statements each. If it fails nothing of it is saved and the output taken from the
    runs is handed back to them, so they can be recorded again one by one."""
    store = s.store
    async with contextlib.AsyncExitStack() as stack:
        for active, _ in ends:
            await stack.enter_async_context(active.log_lock)
        texts = {active.run_id: active.take_output() for active, _ in ends}
        try:
            async with store.write() as tx:
                notes = await _finish_in(s, tx, ends, texts)
        except BaseException:
            for active, _ in ends:
                if texts.get(active.run_id):
                    active.pending_output.insert(0, texts[active.run_id])
                    active.pending_chars += len(texts[active.run_id])
            raise
    messages = getattr(store, "messages", None)
    for task_id, agent, note in notes:
        if messages is not None:
            await messages.post(task_id, agent, note)


async def _finish_in(
    s: Scheduler,
    tx: Tx,
    ends: Sequence[tuple[ActiveRun, RunResult | None]],
    texts: Mapping[int, str],
) -> list[tuple[str, str, str]]:
    store = s.store
    ends = await _fenced_in(s, tx, ends)
    stalled = RunResult.failed("stalled: the agent stopped making progress")
    ends = [
        (active, stalled if active.stop_reason == "stalled" and result is None else result)
        for active, result in ends
    ]
    await store.runs.append_logs_in(
        tx, texts, empty={active.run_id for active, _ in ends if not active.logged}
    )
    tasks = {t.id: t for t in await store.tasks.get_many_in(tx, [a.task_id for a, _ in ends])}
    for active, _ in ends:
        if active.task_id not in tasks:
            raise DomainError(f"unknown task {active.task_id}")
    # Tasks whose agent may have asked the human with a message (a command agent asks with
    # `maos-tui msg post --type question --as NAME`): looked up together.
    asked = [
        a.task_id
        for a, result in ends
        if a.kind == "work" and result is not None and result.outcome is not Outcome.WAITING
    ]
    asking = await store.messages.needs_human_in(tx, asked)
    finished: list[tuple[int, str, str | None]] = []
    moves: list[Move] = []
    reviewers: list[str] | None = None
    notes: list[tuple[str, str, str]] = []
    for active, result in ends:
        task = tasks[active.task_id]
        expected = TaskStatus.REVIEW if active.kind == "review" else TaskStatus.IN_PROGRESS
        if active.kind == "reply":
            await _end_reply(s, tx, active, result)
        elif (
            result is None
            and active.stop_reason == "looping"
            and not (task.archived or task.status is not expected)
        ):
            # Not a failure: no retry is counted, since another run would loop the same.
            evidence = active.loop_evidence
            await store.loops.park_in(tx, task.id, active.run_id, active.agent, evidence)
        elif (
            result is None
            or active.stop_reason == "shutdown"
            or task.archived
            or task.status is not expected
        ):
            await _end_stopped(s, tx, active, task, expected)
        elif active.kind == "work" and (result.outcome is Outcome.WAITING or task.id in asking):
            await _end_parked(s, tx, active, task)
        elif result.outcome is Outcome.DONE and active.kind == "review":
            finished.append((active.run_id, "approved", None))
            reason = f"approved: {result.text}"[:500]
            if active.tree is None:
                moves.append(Move(task.id, TaskStatus.DONE, task.status, active.agent, reason))
            else:  # merged by auto_merge already, or waiting for the person's merge
                await worktree_runs.record_in(s, tx, active)
        elif result.outcome is Outcome.DONE:
            finished.append((active.run_id, "done", None))
            if reviewers is None:
                reviewers = [
                    a.name
                    for a in await store.agents.list_in(tx)
                    if REVIEW_CAPABILITY in a.capabilities
                ]
            target = finished_status(active, set(reviewers))
            done = {"result": result.text, "last_error": None, "status_reason": None}
            done["retry_at"] = None
            moves.append(Move(task.id, target, task.status, active.agent, None, done))
        elif result.outcome is Outcome.CHANGES and active.kind == "review":
            note = await _end_changes(s, tx, active, task, result.text)
            notes.append((active.task_id, active.agent, note))
        else:
            error = result.text
            if result.outcome is Outcome.CHANGES:
                error = "request_changes is only for reviews"
            await store.runs.finish_in(tx, active.run_id, "failed", error)
            await fail_or_retry(s, tx, task, error, actor=active.agent)
    await store.runs.finish_many_in(tx, finished)
    await store.tasks.move_many_in(tx, moves)
    # Mentions delivered with these runs were theirs to answer; they are no longer pending.
    await store.notifications.answered_many_in(tx, [(a.agent, a.task_id) for a, _ in ends])
    await _agents_done_in(s, tx, [active for active, _ in ends])
    return notes


async def _fenced_in(
    s: Scheduler, tx: Tx, ends: Sequence[tuple[ActiveRun, RunResult | None]]
) -> list[tuple[ActiveRun, RunResult | None]]:
    """The ends whose runs still hold their tasks' leases. A run whose worker was taken
    for dead was ended by another worker, and its task requeued or run again by a newer
    attempt: what it says now is refused, with an Activity, and changes nothing."""
    held = await s.store.leases.fence_in(
        tx, [(active.task_id, active.run_id, active.attempt) for active, _ in ends]
    )
    for active, _ in ends:
        if active.run_id not in held:
            log.warning(
                "refused the end of run %s (%s attempt %s): it lost its lease",
                active.run_id,
                active.task_id,
                active.attempt,
            )
            await tx.activity(
                active.agent,
                "result refused",
                active.task_id,
                run=active.run_id,
                attempt=active.attempt,
                reason="the run lost its lease",
            )
    return [(active, result) for active, result in ends if active.run_id in held]


async def _end_reply(s: Scheduler, tx: Tx, active: ActiveRun, result: RunResult | None) -> None:
    """A reply run only talks: whatever its outcome, the task itself is left as it is."""
    if result is None:
        await s.store.runs.finish_in(tx, active.run_id, "cancelled", active.stop_reason)
    elif result.outcome is Outcome.DONE:
        await s.store.runs.finish_in(tx, active.run_id, "done")
    else:
        await s.store.runs.finish_in(tx, active.run_id, "failed", result.text)


async def _end_parked(s: Scheduler, tx: Tx, active: ActiveRun, task: TaskRecord) -> None:
    """The agent asked the human: the task stays in_progress, flagged, until a person
    posts in its thread; then the scheduler picks it up again (same assignee)."""
    store = s.store
    await store.runs.finish_in(tx, active.run_id, "waiting", NEEDS_HUMAN)
    if task.id in await store.messages.needs_human_in(tx, [task.id]):
        details = {"run": active.run_id}
        await store.scheduling.note_in(
            tx, task.id, "asked human", details, actor=active.agent, status_reason=NEEDS_HUMAN
        )
    # Otherwise a person already answered: the task stays in_progress and runs again.


async def _end_stopped(
    s: Scheduler, tx: Tx, active: ActiveRun, task: TaskRecord, expected: TaskStatus
) -> None:
    store = s.store
    if active.stop_reason == "shutdown" and task.status is expected and not task.archived:
        await store.runs.finish_in(tx, active.run_id, "interrupted", "the scheduler stopped")
        if task.status is TaskStatus.IN_PROGRESS:
            reason = "the scheduler stopped; not counted as a retry"
            await store.scheduling.requeue_in(tx, task, reason=reason)
        return
    await store.runs.finish_in(
        tx,
        active.run_id,
        "cancelled",
        f"task is {task.status.value}" + (", archived" if task.archived else ""),
    )


async def _end_changes(s: Scheduler, tx: Tx, active: ActiveRun, task: TaskRecord, text: str) -> str:
    """A reviewer asked for changes: back to in_progress for the author, with the reason
    kept on the review run (the author's context reads it from there)."""
    store = s.store
    rounds = task.review_rounds + 1
    await store.runs.finish_in(tx, active.run_id, "changes", text)
    note = f"changes requested (round {rounds}/{MAX_REVIEW_ROUNDS}): {text}"
    await store.tasks.move_in(
        tx,
        task.id,
        TaskStatus.IN_PROGRESS,
        actor=active.agent,
        reason=note[:500],
        review_rounds=rounds,
    )
    if rounds >= MAX_REVIEW_ROUNDS:
        error = f"review requested changes {rounds} times; last: {text}"
        await store.tasks.move_in(
            tx,
            task.id,
            TaskStatus.FAILED,
            actor=SCHEDULER,
            reason=error[:500],
            last_error=error,
            status_reason=error[:500],
        )
    return note


async def fail_or_retry(s: Scheduler, tx: Tx, task: TaskRecord, error: str, *, actor: str) -> None:
    """Retry with exponential backoff and jitter while retries remain, else fail."""
    store = s.store
    settings = s.settings
    if task.retry_count >= task.max_retries:
        if task.status is TaskStatus.REVIEW:
            await store.tasks.move_in(tx, task.id, TaskStatus.IN_PROGRESS, actor=SCHEDULER)
        await store.tasks.move_in(
            tx,
            task.id,
            TaskStatus.FAILED,
            actor=actor,
            reason=error[:500],
            last_error=error,
            status_reason=None,
            retry_at=None,
        )
        return
    attempt = task.retry_count + 1
    delay = backoff_seconds(
        attempt, settings.retry_base_seconds, settings.retry_max_seconds, s.rand
    )
    retry_at = s.clock.now() + timedelta(seconds=delay)
    reason = f"retry {attempt}/{task.max_retries} in {delay:.0f}s: {error}"[:500]
    fields = {"retry_count": attempt, "retry_at": retry_at, "last_error": error}
    if task.status is TaskStatus.REVIEW:  # the review is retried; the work stands
        details = {"reason": reason}
        await store.scheduling.note_in(
            tx, task.id, "retry scheduled", details, status_reason=reason, **fields
        )
        return
    await store.scheduling.requeue_in(tx, task, reason=reason, status_reason=reason, **fields)


async def _agents_done_in(s: Scheduler, tx: Tx, ended: Sequence[ActiveRun]) -> None:
    """An active agent with no run left besides those that ended goes back to idle."""
    ending = {active.run_id for active in ended}
    busy = {
        r.agent for r in s.active_runs.values() if r.handle is not None and r.run_id not in ending
    }
    await s.store.agent_status.released_in(tx, {active.agent for active in ended} - busy)
