"""Claims: a task taken by an outside client (an MCP caller) instead of the scheduler.

A claim is a run of kind `claim`: it shows in the task's history like any attempt, the
scheduler counts it as running (it never starts an agent on a claimed task), and its
`last_progress_at` is the heartbeat the claiming client refreshes. The scheduler's stall
rule applies: a claim not refreshed for STALL_HEARTBEATS heartbeats of its caller (an
agent's `heartbeat_seconds`; the default for a person) is ended and its task goes back to
the inbox. Whoever touches claims next does that sweep: any MCP call, or the scheduler.

Taking a task is one write transaction whose status change is a compare-and-set: on SQLite
the transaction holds the write lock, on PostgreSQL the conditional UPDATE makes a second
claimer skip a task the first one took.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import (
    DEFAULT_HEARTBEAT_SECONDS,
    HUMAN,
    DomainError,
    TaskRecord,
    TaskStatus,
    parse_task_id,
)
from maos_tui.store.models import Activity, Agent, Run, Task

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

CLAIM = "claim"
# The scheduler's rule for a run that stopped making progress (scheduler/beats.py).
STALL_HEARTBEATS = 3
REVIEW_CAPABILITY = "review"
_CLAIMABLE = (TaskStatus.INBOX.value, TaskStatus.ASSIGNED.value)
_OPEN_CLAIMS = (
    select(
        Run.id,
        Run.task_id,
        Run.agent_name,
        Run.started_at,
        Run.last_progress_at,
        Task.status,
        Task.archived,
    )
    .join(Task, Task.id == Run.task_id)
    .where(Run.ended_at.is_(None), Run.kind == CLAIM)
)
# Claimable tasks in the order the scheduler places them: priority, then age.
_QUEUE = (
    select(Task.id)
    .where(Task.status.in_(_CLAIMABLE), Task.archived == False)  # noqa: E712
    .order_by(Task.priority, Task.seq)
)
_FIRST_PAGE = 32
_OPEN_RUN_TASKS = select(Run.task_id).where(Run.ended_at.is_(None))
_TAKE = (
    update(Task)
    .where(
        Task.id == bindparam("_id"),
        Task.status.in_(_CLAIMABLE),
        Task.archived == False,  # noqa: E712
    )
    .values(updated_at=bindparam("_now"))
)


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: int
    task: TaskRecord


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def may_take(task: TaskRecord, caller: str, capabilities: set[str], now: datetime) -> bool:
    """Runnable for this caller: open, unblocked, not waiting out a retry, assigned to
    nobody or to the caller, and needing only capabilities the caller has."""
    if task.blocked or task.archived or task.status.value not in _CLAIMABLE:
        return False
    if task.retry_at is not None and _aware(task.retry_at) > now:
        return False
    if task.assignees and caller not in task.assignees:
        return False
    return set(task.needs) <= capabilities


def holds(claim: Any) -> bool:
    """A claim holds its task while the task is in progress: once someone moved it (a
    person sent it back to the inbox, cancelled it), the claim is over."""
    return claim.status == TaskStatus.IN_PROGRESS.value and not claim.archived


async def _capabilities(conn: AsyncConnection, caller: str) -> set[str]:
    if caller == HUMAN:
        return set()
    row = (await conn.execute(select(Agent.capabilities).where(Agent.name == caller))).first()
    if row is None:
        raise DomainError(f"unknown agent {caller}")
    return set(json.loads(row[0] or "[]"))


async def claim_next(store: Store, caller: str, offered: Iterable[str] = ()) -> Claim | None:
    """Take the next runnable task the caller may do (priority, then age): it goes to
    in_progress for the caller, with a claim run. None when there is none."""
    async with store.write() as tx:
        capabilities = await _capabilities(tx.conn, caller) | set(offered)
        busy = {row[0] for row in (await tx.conn.execute(_OPEN_RUN_TASKS)).all()}
        # The first few open tasks usually hold one to take: the whole queue is read
        # only when they do not.
        for limit in (_FIRST_PAGE, None):
            ids = [row[0] for row in (await tx.conn.execute(_QUEUE.limit(limit))).all()]
            found = {task.id: task for task in await store.tasks.get_many(ids, tx.conn)}
            for task in (found[tid] for tid in ids if tid in found):
                if task.id not in busy and may_take(task, caller, capabilities, tx.now):
                    claim = await _take_in(store, tx, task, caller)
                    if claim is not None:
                        return claim
            if limit is None or len(ids) < limit:
                break
    return None


async def _take_in(store: Store, tx: Tx, task: TaskRecord, caller: str) -> Claim | None:
    taken = await tx.conn.execute(_TAKE, {"_id": task.id, "_now": tx.now})
    if taken.rowcount != 1:  # another claimer's transaction got it first
        return None
    if caller != HUMAN and caller not in task.assignees:
        await store.tasks.set_assignees_in(tx, task.id, add=[caller], actor=caller, current=task)
    await store.tasks.move_in(
        tx, task.id, TaskStatus.IN_PROGRESS, actor=caller, reason="claimed over MCP"
    )
    run_id = await store.runs.start_in(tx, task.id, caller, CLAIM)
    return Claim(run_id, await store.tasks.get(task.id, tx.conn))


async def heartbeat(store: Store, run_ids: Sequence[int]) -> list[int]:
    """Refresh these claims; returns those still open (others ended or were released)."""
    if not run_ids:
        return []
    async with store.write() as tx:
        await tx.conn.execute(
            update(Run)
            .where(Run.id.in_(list(run_ids)), Run.ended_at.is_(None))
            .values(last_progress_at=tx.now)
        )
        rows = await tx.conn.execute(
            select(Run.id).where(Run.id.in_(list(run_ids)), Run.ended_at.is_(None))
        )
        open_ids = [row[0] for row in rows.all()]
        # A run's progress, not an agent's heartbeat: nothing to schedule, nothing to show.
        tx.notify("run")
    return open_ids


async def release_stale(store: Store) -> list[str]:
    """End claims whose client stopped refreshing them; their tasks go back to the inbox.
    Returns the released task IDs."""
    async with store.read() as conn:
        claims = (await conn.execute(_OPEN_CLAIMS)).all()
        if not claims:
            return []
        beats = dict((await conn.execute(select(Agent.name, Agent.heartbeat_seconds))).all())
    now = datetime.now(UTC)
    stale = []
    for claim in claims:
        beat = int(beats.get(claim.agent_name, DEFAULT_HEARTBEAT_SECONDS))
        last = _aware(claim.last_progress_at or claim.started_at)
        if now - last > timedelta(seconds=STALL_HEARTBEATS * beat):
            stale.append(claim)
    over = [claim for claim in claims if not holds(claim) and claim not in stale]
    if not stale and not over:
        return []
    released = []
    async with store.write() as tx:
        for claim in over:
            where = "archived" if claim.archived else f"moved to {claim.status}"
            await store.runs.finish_in(tx, claim.id, "moved", f"the task was {where}")
        for claim in stale:
            # Read again inside the write: a heartbeat may have landed since.
            row = (
                await tx.conn.execute(
                    select(Run.last_progress_at, Run.ended_at).where(Run.id == claim.id)
                )
            ).first()
            if (
                row is None
                or row.ended_at is not None
                or row.last_progress_at != (claim.last_progress_at)
            ):
                continue
            seconds = (now - _aware(claim.last_progress_at or claim.started_at)).total_seconds()
            reason = f"stalled: no heartbeat from the MCP client for {seconds:.0f}s"
            await store.runs.finish_in(tx, claim.id, "stalled", reason)
            task = await store.tasks.get(claim.task_id, tx.conn)
            if task.status is TaskStatus.IN_PROGRESS and not task.archived:
                await _drop_claim_assignee(store, tx, task, claim.agent_name, claim.started_at)
                await store.tasks.move_in(
                    tx, task.id, TaskStatus.INBOX, actor=claim.agent_name, reason=reason
                )
                released.append(task.id)
    return released


async def _drop_claim_assignee(
    store: Store, tx: Tx, task: TaskRecord, caller: str, claimed_at: datetime
) -> None:
    """The caller stops being an assignee if the claim made it one (its assignment was
    written in the claim's transaction); an assignment someone chose stays."""
    if caller not in task.assignees:
        return
    await tx.flush()
    by_claim = (
        await tx.conn.execute(
            select(Activity.id).where(
                Activity.task_id == task.id,
                Activity.verb == "assigned",
                Activity.actor == caller,
                Activity.created_at == claimed_at,
            )
        )
    ).first()
    if by_claim is not None:
        await store.tasks.set_assignees_in(tx, task.id, remove=[caller], actor=caller, current=task)


async def finish(
    store: Store, caller: str, task_id: str, summary: str | None, failed_reason: str | None
) -> TaskRecord:
    """Complete a task in progress (to review when another agent can review it, else
    done, as the scheduler decides) or fail it; the caller's claim on it ends."""
    tid = parse_task_id(task_id)
    if summary is not None and failed_reason is not None:
        raise DomainError("give either a summary or a failed_reason, not both")
    async with store.write() as tx:
        task = await store.tasks.get(tid, tx.conn)
        if task.archived or task.status is not TaskStatus.IN_PROGRESS:
            raise DomainError(
                f"{tid} is {task.status.value}{' and archived' if task.archived else ''}; "
                "only a task in progress can be finished"
            )
        runs = (
            await tx.conn.execute(
                select(Run.id).where(
                    Run.task_id == tid,
                    Run.ended_at.is_(None),
                    Run.kind == CLAIM,
                    Run.agent_name == caller,
                )
            )
        ).all()
        outcome = "failed" if failed_reason is not None else "done"
        for (run_id,) in runs:
            await store.runs.finish_in(tx, run_id, outcome, failed_reason)
        if failed_reason is not None:
            error = failed_reason.strip() or "failed"
            await store.tasks.move_in(
                tx,
                tid,
                TaskStatus.FAILED,
                actor=caller,
                reason=error[:500],
                last_error=error,
                status_reason=None,
                retry_at=None,
            )
        else:
            reviewers = await _reviewers(tx.conn)
            target = TaskStatus.REVIEW if reviewers - {caller} else TaskStatus.DONE
            await store.tasks.move_in(
                tx,
                tid,
                target,
                actor=caller,
                result=summary,
                last_error=None,
                status_reason=None,
                retry_at=None,
            )
        return await store.tasks.get(tid, tx.conn)


async def _reviewers(conn: AsyncConnection) -> set[str]:
    rows = (await conn.execute(select(Agent.name, Agent.capabilities))).all()
    return {name for name, caps in rows if REVIEW_CAPABILITY in json.loads(caps or "[]")}
