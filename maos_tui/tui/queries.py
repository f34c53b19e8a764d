"""Read-only queries the screens need beyond the task and agent services: the board's
column windows, run figures for cards, the activity feed and a task's subtasks.

Each takes an open connection so one refresh reads a consistent snapshot. SQLAlchemy and
the models are imported inside the functions: the cards import TaskRunFigures from here,
and the board's first paint must not load SQLAlchemy (store/stdlib/first_read.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from maos_tui.domain import ActivityRecord, TaskMatch, TaskRecord, TaskStatus
from maos_tui.store.records import TaskRunFigures, activity_record, run_figures_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.store import Store

# Finished columns read newest first: what was just completed is what people look for.
NEWEST_FIRST = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED})


async def column_tasks(
    store: Store,
    conn: AsyncConnection,
    status: TaskStatus,
    limit: int,
    match: TaskMatch | None = None,
) -> list[TaskRecord]:
    """The first `limit` cards of a column, in board order, with relations resolved."""
    newest_first = status in NEWEST_FIRST
    if match is None:
        return await store.tasks.column(conn, status, limit, newest_first=newest_first)
    return await store.tasks.list(
        statuses=[status], conn=conn, limit=limit, newest_first=newest_first, match=match
    )


async def run_figures(conn: AsyncConnection, task_ids: Sequence[str]) -> dict[str, TaskRunFigures]:
    from maos_tui.store import board

    if not task_ids:
        return {}
    if conn.dialect.name == "sqlite":
        rows = await conn.execute(board.RUN_FIGURES, {"ids": json.dumps(list(task_ids))})
    else:
        rows = await conn.execute(board.run_figures_listed(list(task_ids)))
    return run_figures_of(rows.all())


async def current_tasks(conn: AsyncConnection) -> dict[str, str]:
    """Agent name → the task of its open run (the newest one if several)."""
    from maos_tui.store import board

    return dict((await conn.execute(board.CURRENT_TASKS)).all())


async def statuses_of(conn: AsyncConnection, task_ids: Sequence[str]) -> set[TaskStatus]:
    """The statuses the given live tasks are in now."""
    from sqlalchemy import select

    from maos_tui.store.models import Task

    rows = await conn.execute(
        select(Task.status)
        .where(Task.id.in_(list(task_ids)), Task.archived == False)  # noqa: E712
        .distinct()
    )
    return {TaskStatus(status) for (status,) in rows.all()}


async def dependents_of(conn: AsyncConnection, task_ids: Sequence[str]) -> set[str]:
    """Tasks that wait on any of these (their `blocked` flag follows these tasks' status)."""
    from sqlalchemy import select

    from maos_tui.store.models import TaskDependency

    rows = await conn.execute(
        select(TaskDependency.task_id).where(TaskDependency.depends_on.in_(list(task_ids)))
    )
    return {task_id for (task_id,) in rows.all()}


async def activities_since(conn: AsyncConnection, after_id: int) -> tuple[int, int]:
    """How many Activities are newer than `after_id`, and the newest ID (0 if none)."""
    from sqlalchemy import func, select

    from maos_tui.store.models import Activity

    row = (
        await conn.execute(
            select(func.count(), func.coalesce(func.max(Activity.id), 0)).where(
                Activity.id > after_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


FEED_HISTORY = 200


async def activities_after(
    conn: AsyncConnection, after_id: int, limit: int | None = None
) -> list[ActivityRecord]:
    """Activities newer than `after_id`, oldest first, at most the newest `limit`
    (FEED_HISTORY by default)."""
    from maos_tui.store import board

    rows = await conn.execute(board.FEED, {"after_id": after_id, "limit": limit or FEED_HISTORY})
    return [activity_record(r) for r in reversed(rows.mappings().all())]


async def task_history(conn: AsyncConnection, task_id: str) -> list[ActivityRecord]:
    from sqlalchemy import select

    from maos_tui.store.models import Activity

    rows = await conn.execute(
        select(Activity).where(Activity.task_id == task_id).order_by(Activity.id)
    )
    return [activity_record(r) for r in rows.mappings().all()]


async def subtasks(conn: AsyncConnection, task_id: str) -> list[tuple[str, str, str]]:
    """(id, title, status) of the task's direct subtasks, in ID order."""
    from sqlalchemy import select

    from maos_tui.store.models import Task

    rows = await conn.execute(
        select(Task.id, Task.title, Task.status)
        .where(Task.parent_id == task_id, Task.archived == False)  # noqa: E712
        .order_by(Task.seq)
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]
