"""Read-only queries the screens need beyond the task and agent services: the board's
column windows, run figures for cards, the activity feed and a task's subtasks.

Each takes an open connection so one refresh reads a consistent snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import ActivityRecord, TaskMatch, TaskRecord, TaskStatus
from maos_tui.store import Store
from maos_tui.store.models import Activity, Run, Task, TaskDependency

# Finished columns read newest first: what was just completed is what people look for.
_NEWEST_FIRST = frozenset({TaskStatus.DONE, TaskStatus.FAILED})


@dataclass(frozen=True, slots=True)
class TaskRunFigures:
    running_since: datetime | None
    cost_usd: float


async def column_tasks(
    store: Store,
    conn: AsyncConnection,
    status: TaskStatus,
    limit: int,
    match: TaskMatch | None = None,
) -> list[TaskRecord]:
    """The first `limit` cards of a column, in board order, with relations resolved."""
    return await store.tasks.list(
        statuses=[status],
        conn=conn,
        limit=limit,
        newest_first=status in _NEWEST_FIRST,
        match=match,
    )


async def run_figures(conn: AsyncConnection, task_ids: Sequence[str]) -> dict[str, TaskRunFigures]:
    if not task_ids:
        return {}
    open_start = func.min(case((Run.ended_at.is_(None), Run.started_at)))
    rows = await conn.execute(
        select(Run.task_id, open_start, func.coalesce(func.sum(Run.cost_usd), 0.0))
        .where(Run.task_id.in_(list(task_ids)))
        .group_by(Run.task_id)
    )
    return {
        task_id: TaskRunFigures(_as_datetime(started), float(cost))
        for task_id, started, cost in rows.all()
    }


def _as_datetime(value: object) -> datetime | None:
    # Aggregates lose the column type, so SQLite hands back the stored text.
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def current_tasks(conn: AsyncConnection) -> dict[str, str]:
    """Agent name → the task of its open run (the newest one if several)."""
    rows = await conn.execute(
        select(Run.agent_name, Run.task_id).where(Run.ended_at.is_(None)).order_by(Run.id)
    )
    return dict(rows.all())


async def statuses_of(conn: AsyncConnection, task_ids: Sequence[str]) -> set[TaskStatus]:
    """The statuses the given live tasks are in now."""
    rows = await conn.execute(
        select(Task.status)
        .where(Task.id.in_(list(task_ids)), Task.archived == False)  # noqa: E712
        .distinct()
    )
    return {TaskStatus(status) for (status,) in rows.all()}


async def dependents_of(conn: AsyncConnection, task_ids: Sequence[str]) -> set[str]:
    """Tasks that wait on any of these (their `blocked` flag follows these tasks' status)."""
    rows = await conn.execute(
        select(TaskDependency.task_id).where(TaskDependency.depends_on.in_(list(task_ids)))
    )
    return {task_id for (task_id,) in rows.all()}


async def activities_since(conn: AsyncConnection, after_id: int) -> tuple[int, int]:
    """How many Activities are newer than `after_id`, and the newest ID (0 if none)."""
    row = (
        await conn.execute(
            select(func.count(), func.coalesce(func.max(Activity.id), 0)).where(
                Activity.id > after_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


def _activity(row: object) -> ActivityRecord:
    details = json.loads(row.details or "{}")  # type: ignore[attr-defined]
    return ActivityRecord(
        id=row.id,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        actor=row.actor,  # type: ignore[attr-defined]
        verb=row.verb,  # type: ignore[attr-defined]
        task_id=row.task_id,  # type: ignore[attr-defined]
        details=details if isinstance(details, dict) else {},
    )


FEED_HISTORY = 200


async def activities_after(
    conn: AsyncConnection, after_id: int, limit: int | None = None
) -> list[ActivityRecord]:
    """Activities newer than `after_id`, oldest first, at most the newest `limit`
    (FEED_HISTORY by default)."""
    rows = await conn.execute(
        select(Activity)
        .where(Activity.id > after_id)
        .order_by(Activity.id.desc())
        .limit(limit or FEED_HISTORY)
    )
    return [_activity(r) for r in reversed(rows.all())]


async def task_history(conn: AsyncConnection, task_id: str) -> list[ActivityRecord]:
    rows = await conn.execute(
        select(Activity).where(Activity.task_id == task_id).order_by(Activity.id)
    )
    return [_activity(r) for r in rows.all()]


async def subtasks(conn: AsyncConnection, task_id: str) -> list[tuple[str, str, str]]:
    """(id, title, status) of the task's direct subtasks, in ID order."""
    rows = await conn.execute(
        select(Task.id, Task.title, Task.status)
        .where(Task.parent_id == task_id, Task.archived == False)  # noqa: E712
        .order_by(Task.seq)
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]
