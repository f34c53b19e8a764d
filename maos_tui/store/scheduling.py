"""The scheduler's batch writes: a pass starts many runs in one transaction, and a
requeued task forgets the agent the scheduler picked for it. The status rules are those
of task_assignees.py and the domain's graph; each change writes its Activity."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from maos_tui.domain import TaskRecord, TaskStatus, check_transition
from maos_tui.store.agent_status import SCHEDULER
from maos_tui.store.leases import LeaseTerms
from maos_tui.store.models import Activity
from maos_tui.store.task_assignees import note_assigned_in, status_with_assignees
from maos_tui.store.task_rows import CREATE_SQL, Move, record_move_in, update_rows_in

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx


@dataclass(frozen=True, slots=True)
class RunStart:
    """A run the scheduler planned: `task` as it read it, `kind` work, review or reply."""

    task: TaskRecord
    agent: str
    kind: str


@dataclass(frozen=True, slots=True)
class Started:
    index: int  # of its RunStart among those given
    task: TaskRecord  # as the transaction left it
    run_id: int
    attempt: int  # the task's lease's (store/leases.py)


@dataclass(frozen=True, slots=True)
class OpenTasks:
    """The tasks the scheduler may place, as one read found them."""

    tasks: list[TaskRecord]  # of the statuses asked for, not archived
    authors: dict[str, str]  # of those in review: the agent that did the work
    parked: set[str]  # of those: waiting for a person to answer their agent's question


class SchedulingService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def open_tasks_in(
        self, reader: Reader, statuses: Collection[TaskStatus], ids: Iterable[str] | None = None
    ) -> OpenTasks:
        """The live tasks of these statuses (among `ids`, if given: the scheduler's backlog
        reads again only the tasks that changed)."""
        store = self.store
        if ids is None:
            tasks = await store.tasks.list(list(statuses), conn=reader.conn)
        else:
            found = await store.tasks.get_many_in(reader, ids)
            tasks = [t for t in found if t.status in statuses and not t.archived]
        in_review = [t.id for t in tasks if t.status is TaskStatus.REVIEW]
        authors = (
            await store.runs.latest_agents(reader.conn, in_review, "work") if in_review else {}
        )
        parked = await store.messages.needs_human_in(reader, [t.id for t in tasks])
        return OpenTasks(tasks, authors, parked)

    async def start_runs_in(
        self, tx: Tx, starts: Sequence[RunStart], terms: LeaseTerms
    ) -> list[Started]:
        """Start runs, all in this transaction with one statement per table: a work run's
        agent takes its task (assigned to it, then in_progress), a review stays in review,
        a reply leaves the task alone; each gets a runs row, a lease for the worker and a
        `started` Activity. A task that changed since it was planned, whose agent was
        removed, or that store.leases does not admit (another worker runs it, the limits
        are reached) is left out."""
        store = self.store
        admitted = await store.leases.admit_in(
            tx, [(s.task.id, s.agent) for s in starts], terms.max_parallel
        )
        tasks = {t.id: t for t in await store.tasks.get_many_in(tx, [s.task.id for s in starts])}
        agent_status = await store.agent_status.statuses_in(tx)
        kept: list[tuple[int, RunStart, TaskRecord]] = []
        for index, start in enumerate(starts):
            if not admitted[index]:
                continue
            task = tasks.get(start.task.id)
            if (
                task is None
                or task.archived
                or task.blocked
                or task.status is not start.task.status
                or start.agent not in agent_status
                or (start.kind == "review" and task.branch and task.branch.approved_by)
            ):
                continue
            kept.append((index, start, task))
        if not kept:
            return []
        run_ids = await store.runs.start_many_in(
            tx, [(task.id, start.agent, start.kind) for _, start, task in kept]
        )
        attempts = await store.leases.grant_in(
            tx,
            [
                (task.id, run_id, start.agent)
                for (_, start, task), run_id in zip(kept, run_ids, strict=True)
            ],
            terms,
        )
        started: list[Started] = []
        new_assignees: list[dict[str, str]] = []
        task_rows: list[tuple[str, dict[str, Any]]] = []
        for (index, start, task), run_id in zip(kept, run_ids, strict=True):
            now = task
            if start.kind != "reply":  # a reply leaves the task's own state alone
                values: dict[str, Any] = {"status_reason": None, "retry_at": None}
                now = replace(task, status_reason=None, retry_at=None, updated_at=tx.now)
                if start.kind == "work":
                    await _take_in(tx, task, start.agent, new_assignees)
                    values["status"] = TaskStatus.IN_PROGRESS.value
                    assignees = tuple(sorted({*task.assignees, start.agent}))
                    now = replace(now, status=TaskStatus.IN_PROGRESS, assignees=assignees)
                if task.status is not TaskStatus.INBOX and task.status is not TaskStatus.ASSIGNED:
                    # No move records an Activity: the event says the row changed.
                    tx.notify("task", task_id=task.id)
                values["updated_at"] = tx.now
                task_rows.append((task.id, values))
            await tx.activity(
                start.agent, "started", task.id, run=run_id, kind=start.kind, agent=start.agent
            )
            started.append(Started(index, now, run_id, attempts[task.id]))
        await tx.run_many(CREATE_SQL.INSERT_ASSIGNEE, new_assignees)
        await update_rows_in(tx, task_rows)
        await store.agent_status.assigned_in(
            tx, {start.agent: agent_status[start.agent] for _, start, _ in kept}
        )
        return started

    async def requeue_in(self, tx: Tx, task: TaskRecord, *, reason: str, **fields: Any) -> None:
        """Back to the inbox, without the agent the scheduler had picked."""
        await self.store.tasks.move_in(
            tx, task.id, TaskStatus.INBOX, actor=SCHEDULER, reason=reason, **fields
        )
        await self.drop_picked_in(tx, task.id)

    async def drop_picked_in(self, tx: Tx, task_id: str) -> None:
        """Forget the agents the scheduler assigned, so a requeued task may go to another
        agent; assignees a person or an agent chose stay."""
        await tx.flush()  # this transaction's own assignments count too
        rows = await tx.conn.execute(
            select(Activity.actor, Activity.details)
            .where(Activity.task_id == task_id, Activity.verb == "assigned")
            .order_by(Activity.id)
        )
        picked: set[str] = set()
        for actor, details in rows.all():
            agents = set(json.loads(details or "{}").get("agents", []))
            picked = picked | agents if actor == SCHEDULER else picked - agents
        task = await self.store.tasks.get(task_id, tx.conn)
        drop = [a for a in task.assignees if a in picked]
        if drop:
            await self.store.tasks.set_assignees_in(tx, task_id, remove=drop, actor=SCHEDULER)

    async def note_in(
        self,
        tx: Tx,
        task_id: str,
        verb: str,
        details: Mapping[str, Any],
        *,
        actor: str = SCHEDULER,
        **values: Any,
    ) -> None:
        """Set the scheduler's bookkeeping columns of a task (its waiting reason, retry
        count...) with the Activity that says why."""
        await self.store.tasks.update_fields_in(tx, task_id, **values)
        await tx.activity(actor, verb, task_id, **details)

    async def write_reasons(
        self, tasks: Iterable[TaskRecord], reasons: Mapping[str, str]
    ) -> dict[str, str]:
        """Show why tasks wait (e.g. `no agent with capability: sql`), writing only the
        changed ones: thousands on a first pass. Returns what was written."""
        stale = {
            t.id: reasons[t.id]
            for t in tasks
            if t.id in reasons and t.status_reason != reasons[t.id]
        }
        if stale:
            async with self.store.write() as tx:
                await self.store.tasks.set_reasons_in(tx, stale)
        return stale


async def _take_in(
    tx: Tx, task: TaskRecord, agent: str, new_assignees: list[dict[str, str]]
) -> None:
    """The agent takes the task: assigned to it, then in_progress (the caller writes the
    row). Records the Activities set_assignees_in and move_many_in would."""
    status = task.status
    if agent not in task.assignees:
        new_assignees.append({"task_id": task.id, "value": agent})
        status = status_with_assignees(status, added=True, remaining=True)
        await note_assigned_in(tx, SCHEDULER, task.id, [agent], status)
    elif status is TaskStatus.INBOX:
        status = await _moved_in(tx, task.id, status, TaskStatus.ASSIGNED)
    if status is not TaskStatus.IN_PROGRESS:
        await _moved_in(tx, task.id, status, TaskStatus.IN_PROGRESS)


async def _moved_in(tx: Tx, task_id: str, current: TaskStatus, target: TaskStatus) -> TaskStatus:
    check_transition(current, target, human=False)
    await record_move_in(tx, Move(task_id, target, current, SCHEDULER))
    return target
