"""What the scheduler writes: starting a run, its outcome (done, review, retry, failed),
crash recovery, heartbeats, budgets. Each step is one transaction with its Activity."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update

from maos_tui.agents.base import Outcome, RunResult
from maos_tui.agents.command import kill_orphan
from maos_tui.agents.context import Draft, draft_many
from maos_tui.collab import NEEDS_HUMAN, MessageType
from maos_tui.domain import (
    AgentRecord,
    AgentStatus,
    DomainError,
    TaskRecord,
    TaskStatus,
    check_transition,
)
from maos_tui.scheduler.clock import backoff_seconds
from maos_tui.scheduler.planner import REVIEW_CAPABILITY
from maos_tui.store.models import Activity, Agent, Message, Notification, Task, TaskAssignee
from maos_tui.store.prepared import Prepared
from maos_tui.store.tasks import Move, update_rows_in

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings
    from maos_tui.scheduler.core import ActiveRun, Scheduler
    from maos_tui.scheduler.planner import Placement
    from maos_tui.store import Store, Tx

SCHEDULER = "scheduler"
MAX_REVIEW_ROUNDS = 3
_STALL_PREFIX = "stalled:"


# ---------------------------------------------------------------- starting a run


async def begin_runs(
    s: Scheduler, placements: list[Placement]
) -> list[tuple[Placement, int, Draft]]:
    """Assign and start, all of a pass's placements in one transaction: each task goes
    assigned → in_progress (or stays in review for a reviewer) and gets a runs row.
    Returns the placements started, each with the task as this transaction left it, its
    run ID and its context as this transaction reads it; a task that changed since it was
    planned, or whose agent was removed meanwhile, is left out."""
    if not placements:
        return []
    async with s.store.write() as tx:
        begun = await _begin_in(s, tx, placements)
        wanted = [(placement.task, placement.agent.name) for placement, _ in begun]
        drafts = await draft_many(s.store, tx, wanted)
        s.starting(tx.events)
    return [(p, run_id, draft) for (p, run_id), draft in zip(begun, drafts, strict=True)]


async def _begin_in(
    s: Scheduler, tx: Tx, placements: list[Placement]
) -> list[tuple[Placement, int]]:
    """The rows of all placements go in with one statement per table; the Activities and
    events are those of set_assignees_in, move_in and runs.start_in, task by task."""
    store = s.store
    tasks = {t.id: t for t in await store.tasks.get_many_in(tx, [p.task.id for p in placements])}
    agent_status = {name: AgentStatus(status) for name, status in await tx.rows(_AGENT_STATUSES)}
    kept: list[tuple[Placement, TaskRecord]] = []
    for placement in placements:
        task = tasks.get(placement.task.id)
        if (
            task is None
            or task.archived
            or task.blocked
            or task.status is not placement.task.status
            or placement.agent.name not in agent_status
        ):
            continue
        kept.append((placement, task))
    if not kept:
        return []
    run_ids = await store.runs.start_many_in(
        tx, [(task.id, p.agent.name, p.kind) for p, task in kept]
    )
    begun = []
    new_assignees: list[dict[str, str]] = []
    task_rows: list[tuple[str, dict[str, Any]]] = []
    for (placement, task), run_id in zip(kept, run_ids, strict=True):
        agent = placement.agent.name
        started = task
        if placement.kind != "reply":  # a reply leaves the task's own state alone
            values: dict[str, Any] = {"status_reason": None, "retry_at": None}
            if placement.kind == "work":
                await _take_in(tx, task, agent, new_assignees)
                values["status"] = TaskStatus.IN_PROGRESS.value
                started = replace(
                    task,
                    status=TaskStatus.IN_PROGRESS,
                    assignees=tuple(sorted({*task.assignees, agent})),
                    status_reason=None,
                    retry_at=None,
                    updated_at=tx.now,
                )
            else:
                started = replace(task, status_reason=None, retry_at=None, updated_at=tx.now)
            if task.status is not TaskStatus.INBOX and task.status is not TaskStatus.ASSIGNED:
                # No move records an Activity (update_fields_in's event says it changed).
                tx.notify("task", task_id=task.id)
            values["updated_at"] = tx.now
            task_rows.append((task.id, values))
        await tx.activity(agent, "started", task.id, run=run_id, kind=placement.kind, agent=agent)
        begun.append((replace(placement, task=started), run_id))
    await tx.run_many(_ADD_ASSIGNEE, new_assignees)
    await update_rows_in(tx, task_rows)
    agent_rows = []
    for name in sorted({p.agent.name for p, _ in kept}):
        status = agent_status[name]
        if status is AgentStatus.IDLE:
            status = AgentStatus.ACTIVE
        agent_rows.append({"_name": name, "_at": tx.now, "_status": status.value})
    await tx.run_many(_AGENT_ASSIGNED, agent_rows)
    return begun


# The statements of starting and ending runs, prepared once (see store.core.Prepared).
_AGENTS = Agent.__table__  # type: ignore[attr-defined]
_AGENT_STATUSES = Prepared(select(_AGENTS.c.name, _AGENTS.c.status))
_REVIEW_CANDIDATES = Prepared(select(_AGENTS.c.name, _AGENTS.c.capabilities))
_AGENT_ASSIGNED = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"))
    .values(last_assigned_at=bindparam("_at"), status=bindparam("_status"))
)
_AGENT_IDLE = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"), _AGENTS.c.status == AgentStatus.ACTIVE.value)
    .values(status=AgentStatus.IDLE.value)
)
_ASSIGNEES = TaskAssignee.__table__  # type: ignore[attr-defined]
_ADD_ASSIGNEE = Prepared(
    insert(_ASSIGNEES).values(task_id=bindparam("task_id"), agent_name=bindparam("agent_name"))
)


async def _take_in(
    tx: Tx, task: TaskRecord, agent: str, new_assignees: list[dict[str, str]]
) -> None:
    """The agent takes the task: assigned to it, then in_progress (the caller writes the
    row, with the waiting reason and retry backoff cleared). Records the Activities
    set_assignees_in and move_in would."""
    status = task.status
    if agent not in task.assignees:
        new_assignees.append({"task_id": task.id, "agent_name": agent})
        if status is TaskStatus.INBOX:
            status = TaskStatus.ASSIGNED
        await tx.activity(SCHEDULER, "assigned", task.id, agents=[agent], status=status.value)
    elif status is TaskStatus.INBOX:
        status = await _moved(tx, task.id, status, TaskStatus.ASSIGNED)
    if status is not TaskStatus.IN_PROGRESS:
        await _moved(tx, task.id, status, TaskStatus.IN_PROGRESS)


async def _moved(tx: Tx, task_id: str, current: TaskStatus, target: TaskStatus) -> TaskStatus:
    check_transition(current, target, human=False)
    await tx.activity(SCHEDULER, "moved", task_id, **{"from": current.value, "to": target.value})
    return target


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
    asking = await _needs_human(s, tx, asked)
    finished: list[tuple[int, str, str | None]] = []
    moves: list[Move] = []
    reviewers: list[str] | None = None
    notes: list[tuple[str, str, str]] = []
    for active, result in ends:
        task = tasks[active.task_id]
        expected = TaskStatus.REVIEW if active.kind == "review" else TaskStatus.IN_PROGRESS
        if active.kind == "reply":
            await _end_reply(s, tx, active, result)
        elif result is None or task.archived or task.status is not expected:
            await _end_stopped(s, tx, active, task, expected)
        elif active.kind == "work" and (result.outcome is Outcome.WAITING or task.id in asking):
            await _end_parked(s, tx, active, task)
        elif result.outcome is Outcome.DONE and active.kind == "review":
            finished.append((active.run_id, "approved", None))
            reason = f"approved: {result.text}"[:500]
            moves.append(Move(task.id, TaskStatus.DONE, task.status, active.agent, reason))
        elif result.outcome is Outcome.DONE:
            finished.append((active.run_id, "done", None))
            if reviewers is None:
                reviewers = await _review_agents(tx)
            target = TaskStatus.REVIEW if set(reviewers) - {active.agent} else TaskStatus.DONE
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
    await tx.run_many(
        _ANSWERED, [{"_agent": a.agent, "_task": a.task_id, "_now": tx.now} for a, _ in ends]
    )
    await _agents_done_in(s, tx, [active for active, _ in ends])
    return notes


# NotificationService.answered_in, for many (agent, task) pairs in one executemany.
_NOTIFICATIONS = Notification.__table__  # type: ignore[attr-defined]
_ANSWERED = Prepared(
    update(_NOTIFICATIONS)
    .where(
        _NOTIFICATIONS.c.recipient == bindparam("_agent"),
        _NOTIFICATIONS.c.task_id == bindparam("_task"),
        _NOTIFICATIONS.c.delivered_at.is_not(None),
        _NOTIFICATIONS.c.read_at.is_(None),
    )
    .values(read_at=bindparam("_now"))
)
# Which of a JSON array of tasks have a question in their thread (needs_human can only
# hold those): most runs end with none, and then needs_human is not asked.
_MESSAGES = Message.__table__  # type: ignore[attr-defined]
_WITH_QUESTIONS = Prepared(
    select(_MESSAGES.c.task_id)
    .distinct()
    .where(
        _MESSAGES.c.task_id.in_(
            select(literal_column("value")).select_from(func.json_each(bindparam("_ids")))
        ),
        _MESSAGES.c.type == MessageType.QUESTION.value,
    )
)


async def _needs_human(s: Scheduler, tx: Tx, task_ids: list[str]) -> set[str]:
    """MessageService.needs_human, asked only about tasks with a question in the thread."""
    if task_ids and tx.native:
        rows = await tx.rows(_WITH_QUESTIONS, {"_ids": json.dumps(task_ids)})
        task_ids = [task_id for (task_id,) in rows]
    if not task_ids:
        return set()
    return await s.store.messages.needs_human(task_ids, tx.conn)


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


async def _review_agents(tx: Tx) -> list[str]:
    """The agents that may review (the author is then left out)."""
    rows = await tx.rows(_REVIEW_CANDIDATES)
    return [name for name, caps in rows if REVIEW_CAPABILITY in json.loads(caps or "[]")]


async def _agents_done_in(s: Scheduler, tx: Tx, ended: Sequence[ActiveRun]) -> None:
    """An active agent with no run left besides those that ended goes back to idle."""
    ending = {active.run_id for active in ended}
    busy = {
        r.agent for r in s.active_runs.values() if r.handle is not None and r.run_id not in ending
    }
    idle = sorted({active.agent for active in ended} - busy)
    await tx.run_many(_AGENT_IDLE, [{"_name": agent} for agent in idle])
    for agent in idle:
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
    else:  # its own topic: WORKING.md shows no heartbeat, and its sync skips these
        tx.notify("heartbeat", agent=agent.name)


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
