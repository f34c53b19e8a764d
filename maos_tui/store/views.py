"""Read views: what the app's screens and the WORKING.md sync read, on one snapshot.

A `ReadView` holds one read connection, so every read made through it during a refresh
sees the same commits. Callers outside the store get records, never a connection or a
statement: the SQL, and which dialect runs which form of it, stay here.

    async with read_view(store) as view:
        counts = await view.counts()
        inbox = await view.column(TaskStatus.INBOX, 100, newest_first=False)

Not on the board's first paint: that runs the same statements on the stdlib
(store/stdlib/first_read.py), before SQLAlchemy is imported.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import ActivityRecord, AgentRecord, TaskMatch, TaskRecord, TaskStatus
from maos_tui.store import agents, board
from maos_tui.store.models import Activity, Task
from maos_tui.store.records import (
    TaskRunFigures,
    activity_record,
    agent_record,
    run_figures_of,
    task_with_relations,
)

if TYPE_CHECKING:
    from maos_tui.collab import DocumentRecord, MessageRecord
    from maos_tui.store.core import Store, Tx
    from maos_tui.store.runs import RunRecord
    from maos_tui.store.worker_records import WorkerRecord

# The activity feed's history: what the board keeps once it has refilled its feed.
FEED_HISTORY = 200

_NEWER_ACTIVITIES = select(func.count(), func.coalesce(func.max(Activity.id), 0))
_TASK_HISTORY = select(Activity).order_by(Activity.id)
_SUBTASKS = (
    select(Task.id, Task.title, Task.status)
    .where(Task.archived == False)  # noqa: E712 - SQL expression
    .order_by(Task.seq)
)


@dataclass(frozen=True)
class WorkingRecords:
    """What WORKING.md shows: live tasks in list order, agents, the newest activities
    (newest first) and each task's message count."""

    tasks: list[TaskRecord]
    agents: list[AgentRecord]
    activities: list[ActivityRecord]
    messages: dict[str, int]


class ReadView:
    """Reads on one connection; within a `read_view` block they share one snapshot."""

    def __init__(self, store: Store, conn: AsyncConnection) -> None:
        self._store = store
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"

    # ------------------------------------------------------------ the board

    async def counts(self) -> dict[str, int]:
        """Live tasks per status, every status present."""
        return await self._store.tasks.counts(self._conn)

    async def column(
        self, status: TaskStatus, limit: int, *, newest_first: bool, match: TaskMatch | None = None
    ) -> list[TaskRecord]:
        """The first `limit` cards of a column with their relations, kept by `match`."""
        tasks = self._store.tasks
        if match is None:
            return await tasks.column(self._conn, status, limit, newest_first=newest_first)
        return await tasks.list(
            statuses=[status], conn=self._conn, limit=limit, newest_first=newest_first, match=match
        )

    async def count_matching(self, status: TaskStatus, match: TaskMatch) -> int:
        return await self._store.tasks.count_matching(self._conn, status, match)

    async def run_figures(self, task_ids: Sequence[str]) -> dict[str, TaskRunFigures]:
        """Per task: since when its open run runs, and what its runs cost."""
        if not task_ids:
            return {}
        if self._sqlite:
            rows = await self._conn.execute(board.RUN_FIGURES, {"ids": json.dumps(list(task_ids))})
        else:
            rows = await self._conn.execute(board.run_figures_listed(list(task_ids)))
        return run_figures_of(rows.all())

    async def current_tasks(self) -> dict[str, str]:
        """Agent name → the task of its open run (the newest one if several)."""
        return dict((await self._conn.execute(board.CURRENT_TASKS)).all())

    async def agents(self) -> list[AgentRecord]:
        return await self._store.agents.list(self._conn)

    async def totals(self) -> dict[str, Any]:
        return await self._store.agents.totals(self._conn)

    async def workers(self) -> list[WorkerRecord]:
        return await self._store.workers.list(self._conn)

    async def statuses_of(self, task_ids: Sequence[str]) -> set[TaskStatus]:
        """The statuses the given live tasks are in now."""
        rows = await self._conn.execute(
            select(Task.status)
            .where(Task.id.in_(list(task_ids)), Task.archived == False)  # noqa: E712
            .distinct()
        )
        return {TaskStatus(status) for (status,) in rows.all()}

    async def dependents_of(self, task_ids: Sequence[str]) -> set[str]:
        """Tasks that wait on any of these (their `blocked` flag follows these tasks)."""
        return await self._store.tasks.dependents_of(task_ids, self._conn)

    # ------------------------------------------------------------ the activity feed

    async def activities_since(self, after_id: int) -> tuple[int, int]:
        """How many Activities are newer than `after_id`, and the newest ID (0 if none)."""
        statement = _NEWER_ACTIVITIES.where(Activity.id > after_id)
        row = (await self._conn.execute(statement)).one()
        return int(row[0]), int(row[1])

    async def activities_after(
        self, after_id: int, limit: int | None = None
    ) -> list[ActivityRecord]:
        """Activities newer than `after_id`, oldest first, at most the newest `limit`
        (FEED_HISTORY by default)."""
        params = {"after_id": after_id, "limit": limit or FEED_HISTORY}
        rows = await self._conn.execute(board.FEED, params)
        return [activity_record(r) for r in reversed(rows.mappings().all())]

    # ------------------------------------------------------------ one task

    async def task(self, task_id: str) -> TaskRecord:
        """The task (archived too); DomainError if there is none."""
        return await self._store.tasks.get(task_id, self._conn)

    async def tasks(self, *, archived: bool = False) -> list[TaskRecord]:
        """Every live task (or every archived one), priority then ID."""
        return await self._store.tasks.list(archived=archived, conn=self._conn)

    async def dependents(self, task_id: str) -> list[str]:
        """The tasks waiting on this one, in ID order."""
        return await self._store.tasks.dependents(task_id, self._conn)

    async def subtasks(self, task_id: str) -> list[tuple[str, str, str]]:
        """(id, title, status) of the task's live direct subtasks, in ID order."""
        rows = await self._conn.execute(_SUBTASKS.where(Task.parent_id == task_id))
        return [(r[0], r[1], r[2]) for r in rows.all()]

    async def history(self, task_id: str) -> list[ActivityRecord]:
        """The task's Activities, oldest first."""
        rows = await self._conn.execute(_TASK_HISTORY.where(Activity.task_id == task_id))
        return [activity_record(r) for r in rows.mappings().all()]

    async def runs(self, task_id: str) -> list[RunRecord]:
        return await self._store.runs.for_task(task_id, self._conn)

    async def open_runs(self) -> list[RunRecord]:
        """Every run not finished yet, oldest first."""
        return await self._store.runs.open_runs(self._conn)

    async def messages(self, task_id: str) -> list[MessageRecord]:
        """The task's thread, oldest first."""
        return await self._store.messages.list(task_id, self._conn)

    async def documents(self, task_id: str) -> list[DocumentRecord]:
        """The task's documents at their latest version, without content."""
        return await self._store.documents.list(task_id, self._conn)

    # ------------------------------------------------------------ WORKING.md

    async def working(self, activities: int) -> WorkingRecords:
        """What WORKING.md draws, with its `activities` newest Activities; the same
        statements as the stdlib rewrite (working_md/board.py read_board)."""
        conn = self._conn
        if self._sqlite:
            found = (await conn.execute(board.WORKING_TASKS)).mappings()
            tasks = [task_with_relations(row) for row in found]
        else:  # WORKING_TASKS uses SQLite's json_group_array
            tasks = await self._store.tasks.list(conn=conn)
        agent_rows = (await conn.execute(agents.LIST.statement)).mappings()
        feed = await conn.execute(board.FEED, {"after_id": 0, "limit": activities})
        counts = await conn.execute(board.MESSAGE_COUNTS)
        return WorkingRecords(
            tasks=tasks,
            agents=[agent_record(row) for row in agent_rows],
            activities=[activity_record(row) for row in feed.mappings()],
            messages={task_id: int(n) for task_id, n in counts.all()},
        )


@asynccontextmanager
async def read_view(store: Store) -> AsyncIterator[ReadView]:
    """A view on its own connection, for one snapshot of the store."""
    async with store.read() as conn:
        yield ReadView(store, conn)


def view_within(store: Store, tx: Tx) -> ReadView:
    """A view inside a write transaction: it sees what the transaction changed so far."""
    return ReadView(store, tx.conn)
