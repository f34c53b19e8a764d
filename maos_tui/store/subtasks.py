"""A task's subtasks (the tasks naming it as parent), read without the rest of the board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from maos_tui.domain import TaskRecord, parse_task_id
from maos_tui.store.models import Task

if TYPE_CHECKING:
    from maos_tui.store.core import Store

_CHILDREN = select(Task.id).where(Task.archived == False)  # noqa: E712


async def subtasks(store: Store, task_id: str) -> list[TaskRecord]:
    """Unarchived subtasks in board order (priority, then age)."""
    parent = parse_task_id(task_id)
    async with store.read() as conn:
        query = _CHILDREN.where(Task.parent_id == parent).order_by(Task.priority, Task.seq)
        ids = [row[0] for row in (await conn.execute(query)).all()]
        found = {task.id: task for task in await store.tasks.get_many(ids, conn)}
    return [found[tid] for tid in ids if tid in found]
