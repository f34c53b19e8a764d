"""Tasks: the service, with its status changes, creation, archiving and bookkeeping.
Every mutation writes its Activity in the same transaction. Its reads, edits and
assignments are in task_reads.py, task_edits.py and task_assignees.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import (
    HUMAN,
    DomainError,
    TaskMatch,
    TaskRecord,
    TaskStatus,
    check_transition,
    parse_task_id,
)
from maos_tui.store.models import Task, TaskAssignee
from maos_tui.store.search import set_task_indexed_in
from maos_tui.store.stdlib.twins import stdlib_twin
from maos_tui.store.stranded import note_archived_in, note_cancelled_in
from maos_tui.store.task_assignees import TaskAssignees
from maos_tui.store.task_create import NewTask, insert_task
from maos_tui.store.task_edits import TaskEdits
from maos_tui.store.task_queries import COUNTS, with_branch
from maos_tui.store.task_reads import BULK_THRESHOLD, matching
from maos_tui.store.task_rows import CREATE_SQL, Move, record_move_in, update_rows_in

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx


class TaskService(TaskEdits, TaskAssignees):
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---------------------------------------------------------------- reads

    @stdlib_twin()
    async def get(self, task_id: str, conn: AsyncConnection | None = None) -> TaskRecord:
        tid = parse_task_id(task_id)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(tid, fresh)
        return await self._one(tid, conn)

    @stdlib_twin()
    async def list(
        self,
        statuses: Sequence[TaskStatus] | None = None,
        assignee: str | None = None,
        archived: bool = False,
        conn: AsyncConnection | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        match: TaskMatch | None = None,
    ) -> list[TaskRecord]:
        """Tasks ordered by priority then ID, or by last change when `newest_first`
        (finished columns). `archived=True` lists only archived ones."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(
                    statuses, assignee, archived, fresh, limit, newest_first, match
                )
        query = with_branch(select(Task)).where(Task.archived == archived)
        if statuses:
            query = query.where(Task.status.in_([s.value for s in statuses]))
        if assignee is not None:
            query = query.where(
                Task.id.in_(select(TaskAssignee.task_id).where(TaskAssignee.agent_name == assignee))
            )
        if match is not None:
            query = matching(query, match)
        if newest_first:
            query = query.order_by(Task.updated_at.desc(), Task.seq.desc())
        else:
            query = query.order_by(Task.priority, Task.seq)
        if limit is not None:
            query = query.limit(limit)
        rows = (await conn.execute(query)).mappings().all()
        return await self._hydrate(conn, rows)

    @stdlib_twin()
    async def counts(self, conn: AsyncConnection | None = None) -> dict[str, int]:
        """Non-archived tasks per status, every status present (0 when empty)."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.counts(fresh)
        found = dict((await conn.execute(COUNTS)).all())
        return {s.value: int(found.get(s.value, 0)) for s in TaskStatus}

    @stdlib_twin(leaves_to_store=("notifications",))  # a description mentioning someone
    async def create(self, title: str, **fields: Any) -> TaskRecord:
        """Create a task in its own transaction; `fields` are those of `NewTask.checked`."""
        async with self.store.write() as tx:
            task_id = await self.create_in(tx, title, **fields)
            return await self.get(task_id, tx.conn)

    async def create_in(self, tx: Tx, title: str, **fields: Any) -> str:
        """Create inside an open transaction (the agent tools and WORKING.md merge batch);
        `fields` are those of `NewTask.checked`."""
        created_by = fields.get("created_by", HUMAN)
        task_id = await insert_task(tx, CREATE_SQL, NewTask.checked(title, **fields))
        await self.store.notifications.notify_in(
            tx, task_id=task_id, author=created_by, text=fields.get("description", "")
        )
        return task_id

    async def move(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        actor: str = HUMAN,
        reason: str | None = None,
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.move_in(tx, task_id, status, actor=actor, reason=reason)
            return await self.get(task_id, tx.conn)

    async def move_in(
        self,
        tx: Tx,
        task_id: str,
        status: TaskStatus,
        *,
        actor: str = HUMAN,
        reason: str | None = None,
        current: TaskStatus | None = None,
        **extra: Any,
    ) -> TaskStatus:
        """Change status; agents must follow the status graph, humans may jump anywhere.
        `current` is the status as already read in this transaction, if it was."""
        tid = parse_task_id(task_id)
        if current is None:
            current = TaskStatus((await self._row(tx.conn, tid))["status"])
        await self.move_many_in(tx, [Move(tid, status, current, actor, reason, extra)])
        return current

    async def move_many_in(self, tx: Tx, moves: Sequence[Move]) -> None:
        """Status changes of many tasks whose status this transaction has read: each
        checked and recorded as `move_in` does, the rows written with executemany. All are
        checked before anything is written."""
        moving = [m for m in moves if m.current is not m.status or m.values]
        for move in moving:
            check_transition(move.current, move.status, human=move.actor == HUMAN)
        rows: list[tuple[str, dict[str, Any]]] = []
        for move in moving:
            values: dict[str, Any] = {"status": move.status.value, "updated_at": tx.now}
            values.update(move.values)
            if move.status is TaskStatus.INBOX:
                values.setdefault("status_reason", None)
            rows.append((move.task_id, values))
        await update_rows_in(tx, rows)
        for move in moving:
            await record_move_in(tx, move)
        await note_cancelled_in(tx, moving)
        # Back in review with the author's new work: the last round's comments are answered.
        for move in moving:
            if move.status is TaskStatus.REVIEW and move.current is not TaskStatus.REVIEW:
                await self.store.reviews.new_round_in(tx, [move.task_id], actor=move.actor)

    async def cancel(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        return await self.move(task_id, TaskStatus.CANCELLED, actor=actor)

    async def retry(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        """A human retry starts over: the retry budget, the error and the backoff reset."""
        async with self.store.write() as tx:
            tid = parse_task_id(task_id)
            row = await self._row(tx.conn, tid)
            if TaskStatus(row["status"]) not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
                raise DomainError(f"{tid} is {row['status']}; only failed or cancelled tasks retry")
            await tx.conn.execute(
                update(Task)
                .where(Task.id == tid)
                .values(
                    status=TaskStatus.INBOX.value,
                    retry_count=0,
                    last_error=None,
                    retry_at=None,
                    review_rounds=0,
                    status_reason=None,
                    updated_at=tx.now,
                )
            )
            await tx.activity(actor, "retried", tid, **{"from": row["status"], "to": "inbox"})
            return await self.get(tid, tx.conn)

    async def archive(
        self, task_id: str, *, actor: str = HUMAN, reason: str | None = None
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_archived_in(tx, task_id, True, actor=actor, reason=reason)
            return await self.get(task_id, tx.conn)

    async def restore(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_archived_in(tx, task_id, False, actor=actor)
            return await self.get(task_id, tx.conn)

    async def set_archived_in(
        self, tx: Tx, task_id: str, archived: bool, *, actor: str = HUMAN, reason: str | None = None
    ) -> None:
        tid = parse_task_id(task_id)
        row = await self._row(tx.conn, tid)
        if bool(row["archived"]) == archived:
            state = "archived" if archived else "not archived"
            raise DomainError(f"{tid} is already {state}")
        await tx.conn.execute(
            update(Task).where(Task.id == tid).values(archived=archived, updated_at=tx.now)
        )
        await set_task_indexed_in(tx.conn, tid, not archived)
        verb = "archived" if archived else "restored"
        details = {"reason": reason} if reason else {}
        await tx.activity(actor, verb, tid, **details)
        await note_archived_in(tx, tid, archived, row["status"], actor)

    async def update_fields_in(self, tx: Tx, task_id: str, **values: Any) -> None:
        """Scheduler bookkeeping (retry_at, last_error, result...) with no Activity of its own:
        the caller records the Activity that explains it."""
        values["updated_at"] = tx.now
        await tx.conn.execute(update(Task).where(Task.id == task_id).values(**values))
        tx.notify("task", task_id=task_id)

    async def set_reasons_in(self, tx: Tx, reasons: Mapping[str, str | None]) -> None:
        """Why tasks wait, for many tasks at once: one UPDATE per distinct reason and one
        event, since the scheduler may restate thousands of reasons in a single pass. The
        event has its own topic: a waiting reason changes no placement, so it neither
        wakes the scheduler (which wrote it) nor makes it read the tasks again."""
        by_reason: dict[str | None, list[str]] = defaultdict(list)
        for task_id, reason in reasons.items():
            by_reason[reason].append(task_id)
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), BULK_THRESHOLD):
                chunk = ids[start : start + BULK_THRESHOLD]
                await tx.conn.execute(
                    update(Task)
                    .where(Task.id.in_(chunk))
                    .values(status_reason=reason, updated_at=tx.now)
                )
        if reasons:
            tx.notify("reasons")
