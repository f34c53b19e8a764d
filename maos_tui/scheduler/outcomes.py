"""What the scheduler writes: starting a run, its outcome (done, review, retry, failed),
crash recovery, heartbeats, budgets. Each step is one transaction with its Activity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from maos_tui.agents.base import Outcome, RunResult
from maos_tui.agents.command import kill_orphan
from maos_tui.collab import NEEDS_HUMAN
from maos_tui.domain import AgentRecord, AgentStatus, TaskRecord, TaskStatus
from maos_tui.scheduler.clock import backoff_seconds
from maos_tui.scheduler.planner import REVIEW_CAPABILITY
from maos_tui.store.models import Activity, Agent, Task

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings
    from maos_tui.scheduler.core import ActiveRun, Scheduler
    from maos_tui.scheduler.planner import Placement
    from maos_tui.store import Store, Tx

SCHEDULER = "scheduler"
MAX_REVIEW_ROUNDS = 3
_KEY_PREFIX = "missing "
_STALL_PREFIX = "stalled:"


# ---------------------------------------------------------------- starting a run


async def begin_runs(s: Scheduler, placements: list[Placement]) -> list[tuple[Placement, int]]:
    """Assign and start, all of a pass's placements in one transaction: each task goes
    assigned → in_progress (or stays in review for a reviewer) and gets a runs row.
    Returns the placements started, each with the task as this transaction left it, and
    their run IDs; a task that changed since it was planned is left out."""
    begun = []
    async with s.store.write() as tx:
        for placement in placements:
            started = await _begin_in(s, tx, placement)
            if started is not None:
                begun.append(started)
    return begun


async def _begin_in(s: Scheduler, tx: Tx, placement: Placement) -> tuple[Placement, int] | None:
    store = s.store
    agent = placement.agent.name
    task = await store.tasks.get(placement.task.id, tx.conn)
    if task.archived or task.blocked or task.status is not placement.task.status:
        return None
    started = task
    if placement.kind != "reply":  # a reply leaves the task's own state alone
        started = replace(task, status_reason=None, retry_at=None, updated_at=tx.now)
        if placement.kind == "work":
            await _take_in(s, tx, task, agent)
            assignees = tuple(sorted({*task.assignees, agent}))
            started = replace(started, status=TaskStatus.IN_PROGRESS, assignees=assignees)
        else:
            await store.tasks.update_fields_in(tx, task.id, status_reason=None, retry_at=None)
    run_id = await store.runs.start_in(tx, task.id, agent, placement.kind)
    values: dict[str, Any] = {"last_assigned_at": tx.now}
    if placement.agent.status is AgentStatus.IDLE:
        values["status"] = AgentStatus.ACTIVE.value
    await tx.conn.execute(update(Agent).where(Agent.name == agent).values(**values))
    await tx.activity(agent, "started", task.id, run=run_id, kind=placement.kind, agent=agent)
    return replace(placement, task=started), run_id


async def _take_in(s: Scheduler, tx: Tx, task: TaskRecord, agent: str) -> None:
    """The agent takes the task: assigned to it, then in_progress, with the waiting reason
    and retry backoff cleared."""
    tasks = s.store.tasks
    if agent not in task.assignees:
        await tasks.set_assignees_in(tx, task.id, add=[agent], actor=SCHEDULER, current=task)
    elif task.status is TaskStatus.INBOX:
        await tasks.move_in(tx, task.id, TaskStatus.ASSIGNED, actor=SCHEDULER)
    clear = {"status_reason": None, "retry_at": None}
    if task.status is TaskStatus.IN_PROGRESS:
        await tasks.update_fields_in(tx, task.id, **clear)
    else:
        await tasks.move_in(tx, task.id, TaskStatus.IN_PROGRESS, actor=SCHEDULER, **clear)


# ---------------------------------------------------------------- the end of a run


async def finish_run(s: Scheduler, active: ActiveRun, result: RunResult | None) -> None:
    """Record how a run ended. `result` is None when the run was cancelled."""
    store = s.store
    changes_note: str | None = None
    async with active.log_lock, store.write() as tx:
        await store.runs.append_log_in(tx, active.run_id, active.take_output())
        task = await store.tasks.get(active.task_id, tx.conn)
        expected = TaskStatus.REVIEW if active.kind == "review" else TaskStatus.IN_PROGRESS
        if active.stop_reason == "stalled" and result is None:
            result = RunResult.failed("stalled: the agent stopped making progress")
        if active.kind == "reply":
            await _end_reply(s, tx, active, result)
        elif result is None or task.archived or task.status is not expected:
            await _end_stopped(s, tx, active, task, expected)
        elif active.kind == "work" and (
            result.outcome is Outcome.WAITING
            # A command agent asks with `maos-tui msg post --type question --as NAME`.
            or task.id in await store.messages.needs_human([task.id], tx.conn)
        ):
            await _end_parked(s, tx, active, task)
        elif result.outcome is Outcome.DONE:
            await _end_done(s, tx, active, task, result.text)
        elif result.outcome is Outcome.CHANGES and active.kind == "review":
            changes_note = await _end_changes(s, tx, active, task, result.text)
        else:
            error = result.text
            if result.outcome is Outcome.CHANGES:
                error = "request_changes is only for reviews"
            await store.runs.finish_in(tx, active.run_id, "failed", error)
            await fail_or_retry(s, tx, task, error, actor=active.agent)
        # Mentions delivered with this run were its to answer; they are no longer pending.
        await store.notifications.answered_in(tx, active.agent, task.id)
        await _agent_done_in(s, tx, active.agent)
    messages = getattr(store, "messages", None)
    if changes_note and messages is not None:
        await messages.post(active.task_id, active.agent, changes_note)


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
    await s.store.runs.finish_in(tx, active.run_id, "waiting", NEEDS_HUMAN)
    if task.id in await s.store.messages.needs_human([task.id], tx.conn):
        await s.store.tasks.update_fields_in(tx, task.id, status_reason=NEEDS_HUMAN)
        await tx.activity(active.agent, "asked human", task.id, run=active.run_id)
    # Otherwise a person already answered: the task stays in_progress and runs again.


async def _end_stopped(
    s: Scheduler, tx: Tx, active: ActiveRun, task: TaskRecord, expected: TaskStatus
) -> None:
    store = s.store
    if active.stop_reason == "shutdown" and task.status is expected and not task.archived:
        await store.runs.finish_in(tx, active.run_id, "interrupted", "the scheduler stopped")
        if task.status is TaskStatus.IN_PROGRESS:
            await requeue_in(s, tx, task, reason="the scheduler stopped; not counted as a retry")
        return
    await store.runs.finish_in(
        tx,
        active.run_id,
        "cancelled",
        f"task is {task.status.value}" + (", archived" if task.archived else ""),
    )


async def _end_done(s: Scheduler, tx: Tx, active: ActiveRun, task: TaskRecord, text: str) -> None:
    store = s.store
    if active.kind == "review":
        await store.runs.finish_in(tx, active.run_id, "approved")
        await store.tasks.move_in(
            tx, task.id, TaskStatus.DONE, actor=active.agent, reason=f"approved: {text}"[:500]
        )
        return
    await store.runs.finish_in(tx, active.run_id, "done")
    reviewers = await _reviewers(tx, exclude=active.agent)
    target = TaskStatus.REVIEW if reviewers else TaskStatus.DONE
    await store.tasks.move_in(
        tx,
        task.id,
        target,
        actor=active.agent,
        result=text,
        last_error=None,
        status_reason=None,
        retry_at=None,
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
        await store.tasks.update_fields_in(tx, task.id, status_reason=reason, **fields)
        await tx.activity(SCHEDULER, "retry scheduled", task.id, reason=reason)
        return
    await store.tasks.move_in(
        tx,
        task.id,
        TaskStatus.INBOX,
        actor=SCHEDULER,
        reason=reason,
        status_reason=reason,
        **fields,
    )
    await _drop_auto_assignees(s, tx, task.id)


async def requeue_in(s: Scheduler, tx: Tx, task: TaskRecord, *, reason: str, **fields: Any) -> None:
    await s.store.tasks.move_in(
        tx, task.id, TaskStatus.INBOX, actor=SCHEDULER, reason=reason, **fields
    )
    await _drop_auto_assignees(s, tx, task.id)


async def _drop_auto_assignees(s: Scheduler, tx: Tx, task_id: str) -> None:
    """Forget the agent the scheduler picked, so a requeued task may go to another agent;
    assignees a person or agent chose stay."""
    await tx.flush()  # this transaction's own assignments count too
    rows = await tx.conn.execute(
        select(Activity.actor, Activity.details)
        .where(Activity.task_id == task_id, Activity.verb == "assigned")
        .order_by(Activity.id)
    )
    auto: set[str] = set()
    for actor, details in rows.all():
        agents = set(json.loads(details or "{}").get("agents", []))
        auto = auto | agents if actor == SCHEDULER else auto - agents
    task = await s.store.tasks.get(task_id, tx.conn)
    drop = [a for a in task.assignees if a in auto]
    if drop:
        await s.store.tasks.set_assignees_in(tx, task_id, remove=drop, actor=SCHEDULER)


async def _reviewers(tx: Tx, *, exclude: str) -> list[str]:
    rows = await tx.conn.execute(select(Agent.name, Agent.capabilities))
    return [
        name
        for name, caps in rows.all()
        if name != exclude and REVIEW_CAPABILITY in json.loads(caps or "[]")
    ]


async def _agent_done_in(s: Scheduler, tx: Tx, agent: str) -> None:
    """An active agent with no other run goes back to idle."""
    others = [r for r in s.active_runs.values() if r.agent == agent and r.handle is not None]
    if len(others) > 1:
        return
    await tx.conn.execute(
        update(Agent)
        .where(Agent.name == agent, Agent.status == AgentStatus.ACTIVE.value)
        .values(status=AgentStatus.IDLE.value)
    )
    tx.notify("agent", agent=agent)


# ---------------------------------------------------------------- recovery


async def recover(s: Scheduler) -> None:
    """Requeue what a dead scheduler left behind, counting a retry, and kill its agents."""
    store = s.store
    async with store.read() as conn:
        open_runs = await store.runs.open_runs(conn)
        stranded = {t.id for t in await store.tasks.list([TaskStatus.IN_PROGRESS], conn=conn)}
        # Parked on a question to the human: waiting by design, not left behind.
        stranded -= await store.messages.needs_human(stranded, conn)
    for run in open_runs:
        kill_orphan(s.workspace.root, run.id)
    stranded |= {r.task_id for r in open_runs}
    async with store.write() as tx:
        for run in open_runs:
            await store.runs.finish_in(tx, run.id, "crashed", "the scheduler stopped unexpectedly")
        for task_id in sorted(stranded):
            task = await store.tasks.get(task_id, tx.conn)
            if task.archived or task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW):
                continue
            error = "requeued: the scheduler running it stopped unexpectedly"
            if task.retry_count >= task.max_retries:
                await fail_or_retry(s, tx, task, error, actor=SCHEDULER)
            elif task.status is TaskStatus.REVIEW:
                await store.tasks.update_fields_in(tx, task.id, retry_count=task.retry_count + 1)
                await tx.activity(SCHEDULER, "requeued", task.id, reason=error)
            else:
                await requeue_in(s, tx, task, reason=error, retry_count=task.retry_count + 1)
        await tx.conn.execute(
            update(Agent)
            .where(Agent.status == AgentStatus.ACTIVE.value)
            .values(status=AgentStatus.IDLE.value)
        )


# ---------------------------------------------------------------- agents


async def heartbeat_in(tx: Tx, agent: AgentRecord, *, recovered: bool) -> None:
    values: dict[str, Any] = {"last_heartbeat": tx.now}
    back = (
        recovered
        and agent.status is AgentStatus.OFFLINE
        and (agent.status_reason or "").startswith(_STALL_PREFIX)
    )
    if back:
        values.update(status=AgentStatus.IDLE.value, status_reason=None)
    await tx.conn.execute(update(Agent).where(Agent.name == agent.name).values(**values))
    if back:
        await tx.activity(
            SCHEDULER, "agent back online", topic="agent", agent=agent.name, target=agent.name
        )
    else:
        tx.notify("agent", agent=agent.name)


async def set_agent_status(
    store: Store, agent: AgentRecord, status: AgentStatus, reason: str | None
) -> None:
    async with store.write() as tx:
        await store.agents.set_status_in(tx, agent.name, status, reason)
        await tx.activity(
            SCHEDULER,
            f"set agent {status.value}",
            topic="agent",
            agent=agent.name,
            target=agent.name,
            reason=reason,
        )


def key_reason(missing: list[str]) -> str | None:
    return f"{_KEY_PREFIX}{', '.join(missing)}" if missing else None


def is_key_reason(reason: str | None) -> bool:
    return bool(reason and reason.startswith(_KEY_PREFIX))


def agent_budget_reason(agent: AgentRecord) -> str | None:
    if agent.budget_usd is not None and agent.cost_usd >= agent.budget_usd:
        return f"budget reached: ${agent.cost_usd:.4f} of ${agent.budget_usd:.4f}"
    used = agent.tokens_in + agent.tokens_out
    if agent.budget_tokens is not None and used >= agent.budget_tokens:
        return f"budget reached: {used} of {agent.budget_tokens} tokens"
    return None


def workspace_budget_reason(settings: SchedulerSettings, totals: Mapping[str, Any]) -> str | None:
    cost = float(totals["cost_usd"])
    used = int(totals["tokens_in"]) + int(totals["tokens_out"])
    if settings.budget_usd is not None and cost >= settings.budget_usd:
        return f"workspace budget reached: ${cost:.4f} of ${settings.budget_usd:.4f}"
    if settings.budget_tokens is not None and used >= settings.budget_tokens:
        return f"workspace budget reached: {used} of {settings.budget_tokens} tokens"
    return None


# ---------------------------------------------------------------- reads and reasons


async def task_states(store: Store, ids: list[str]) -> dict[str, tuple[TaskStatus, bool]]:
    async with store.read() as conn:
        rows = await conn.execute(
            select(Task.id, Task.status, Task.archived).where(Task.id.in_(ids))
        )
        return {tid: (TaskStatus(status), bool(archived)) for tid, status, archived in rows.all()}


async def write_reasons(
    store: Store, tasks: Iterable[TaskRecord], reasons: Mapping[str, str]
) -> dict[str, str]:
    """Show why a task waits (e.g. `no agent with capability: sql`); write only changes,
    thousands of them on a first pass. Returns what was written."""
    stale = {
        t.id: reasons[t.id] for t in tasks if t.id in reasons and t.status_reason != reasons[t.id]
    }
    if stale:
        async with store.write() as tx:
            await store.tasks.set_reasons_in(tx, stale)
    return stale
