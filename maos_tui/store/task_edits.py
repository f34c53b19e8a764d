"""Editing a task: its title, description, priority, parent, dependencies, needs and
labels, with the Activity, search index and mentions that follow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update

from maos_tui.collab import find_mentions
from maos_tui.domain import (
    HUMAN,
    DomainError,
    TaskRecord,
    check_no_cycle,
    parse_task_id,
    validate_capability,
    validate_label,
    validate_priority,
    validate_title,
)
from maos_tui.store.models import Task, TaskDependency, TaskLabel, TaskNeed
from maos_tui.store.task_create import check_live_tasks, index_task
from maos_tui.store.task_reads import TaskReads
from maos_tui.store.task_rows import CREATE_SQL, insert_relations, unique

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.store.core import Tx

_UNSET: Any = object()


class TaskEdits(TaskReads):
    """TaskService's edit methods."""

    async def edit(self, task_id: str, **fields: Any) -> TaskRecord:
        """Edit a task in its own transaction; `fields` are those of `edit_in`."""
        async with self.store.write() as tx:
            await self.edit_in(tx, task_id, **fields)
            return await self._one(task_id, tx.conn)

    async def edit_in(
        self,
        tx: Tx,
        task_id: str,
        *,
        actor: str = HUMAN,
        title: str | None = None,
        description: str | None = None,
        priority: int | None = None,
        after: Iterable[str] | None = None,
        needs: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        parent: str | None = _UNSET,
    ) -> dict[str, Any]:
        """Apply the given fields; returns {field: new value} for what actually changed."""
        conn = tx.conn
        tid = parse_task_id(task_id)
        current = await self._one(tid, conn)
        values: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        if title is not None and validate_title(title) != current.title:
            values["title"] = changed["title"] = validate_title(title)
        if description is not None and description != current.description:
            values["description"] = changed["description"] = description
        if priority is not None and validate_priority(priority) != current.priority:
            values["priority"] = changed["priority"] = validate_priority(priority)
        if parent is not _UNSET:
            parent_id = parse_task_id(parent) if parent else None
            if parent_id != current.parent:
                if parent_id == tid:
                    raise DomainError(f"{tid} cannot be its own parent")
                if parent_id:
                    await check_live_tasks(tx, CREATE_SQL, [parent_id], "be a subtask of")
                values["parent_id"] = changed["parent"] = parent_id
        if after is not None:
            after_ids = unique(parse_task_id(a) for a in after)
            if set(after_ids) != set(current.after):
                added = [a for a in after_ids if a not in current.after]
                await check_live_tasks(tx, CREATE_SQL, added, "depend on")
                graph = await self._dependency_graph(conn)
                check_no_cycle(tid, added, lambda node: graph.get(node, ()))
                await _replace_relations(conn, tid, TaskDependency, "depends_on", after_ids)
                changed["after"] = after_ids
        if needs is not None:
            caps = unique(validate_capability(n) for n in needs)
            if set(caps) != set(current.needs):
                await _replace_relations(conn, tid, TaskNeed, "capability", caps)
                changed["needs"] = caps
        if labels is not None:
            label_list = unique(validate_label(label) for label in labels)
            if set(label_list) != set(current.labels):
                await _replace_relations(conn, tid, TaskLabel, "label", label_list)
                changed["labels"] = label_list
        if not changed:
            return changed
        values["updated_at"] = tx.now
        await conn.execute(update(Task).where(Task.id == tid).values(**values))
        await tx.activity(actor, "edited", tid, fields=sorted(changed), **_brief(changed))
        if ("title" in changed or "description" in changed) and not current.archived:
            new_description = changed.get("description", current.description)
            await index_task(
                tx, CREATE_SQL, tid, changed.get("title", current.title), new_description
            )
        if "description" in changed:
            # Only names the edit adds are news; the others were notified when first written.
            await self.store.notifications.notify_in(
                tx,
                task_id=tid,
                author=actor,
                text=changed["description"],
                skip=find_mentions(current.description),
            )
        return changed


def _brief(changed: dict[str, Any]) -> dict[str, Any]:
    """Activity details: new values, with long descriptions left out of the history."""
    return {k: v for k, v in changed.items() if k != "description"}


async def _replace_relations(
    conn: AsyncConnection, task_id: str, table: type, column: str, values: list[str]
) -> None:
    await conn.execute(delete(table).where(table.task_id == task_id))
    await insert_relations(conn, task_id, table, column, values)
