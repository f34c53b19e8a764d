"""Who a task is assigned to, and the status that follows from it: assigning an inbox
task moves it to assigned; dropping the last assignee of an assigned task sends it back
to the inbox, so the board never shows an orphan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete, update

from maos_tui.domain import HUMAN, DomainError, TaskRecord, TaskStatus, parse_task_id
from maos_tui.store.models import Task, TaskAssignee
from maos_tui.store.task_create import check_agents
from maos_tui.store.task_reads import TaskReads
from maos_tui.store.task_rows import CREATE_SQL, insert_relations, unique

if TYPE_CHECKING:
    from maos_tui.store.core import Tx


def status_with_assignees(status: TaskStatus, *, added: bool, remaining: bool) -> TaskStatus:
    """A task's status once assignees were added (or it has none `remaining`)."""
    if added and status is TaskStatus.INBOX:
        return TaskStatus.ASSIGNED
    if not remaining and status is TaskStatus.ASSIGNED:
        return TaskStatus.INBOX
    return status


async def note_assigned_in(
    tx: Tx, actor: str, task_id: str, agents: list[str], status: TaskStatus
) -> None:
    """The Activity of agents assigned to a task, with the status that followed."""
    await tx.activity(actor, "assigned", task_id, agents=agents, status=status.value)


class TaskAssignees(TaskReads):
    """TaskService's assignment methods."""

    async def assign(
        self, task_id: str, agents: Iterable[str], *, actor: str = HUMAN
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_assignees_in(tx, task_id, add=agents, actor=actor)
            return await self._one(task_id, tx.conn)

    async def unassign(
        self, task_id: str, agents: Iterable[str], *, actor: str = HUMAN
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_assignees_in(tx, task_id, remove=agents, actor=actor)
            return await self._one(task_id, tx.conn)

    async def set_assignees_in(
        self,
        tx: Tx,
        task_id: str,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        actor: str = HUMAN,
        current: TaskRecord | None = None,
    ) -> None:
        """Assigning an inbox task moves it to assigned; dropping the last assignee of an
        assigned task sends it back to the inbox, so the board never shows an orphan.
        `current` is the task as already read in this transaction, if it was."""
        conn = tx.conn
        tid = parse_task_id(task_id)
        if current is None or current.id != tid:
            current = await self._one(tid, conn)
        to_add = [a for a in unique(add) if a not in current.assignees]
        to_remove = unique(remove)
        await check_agents(tx, CREATE_SQL, to_add)
        unknown = [a for a in to_remove if a not in current.assignees]
        if unknown:
            raise DomainError(f"{tid} is not assigned to {', '.join(unknown)}")
        if not to_add and not to_remove:
            return
        await insert_relations(conn, tid, TaskAssignee, "agent_name", to_add)
        if to_remove:
            await conn.execute(
                delete(TaskAssignee).where(
                    TaskAssignee.task_id == tid, TaskAssignee.agent_name.in_(to_remove)
                )
            )
        remaining = (set(current.assignees) | set(to_add)) - set(to_remove)
        status = status_with_assignees(
            current.status, added=bool(to_add), remaining=bool(remaining)
        )
        await conn.execute(
            update(Task).where(Task.id == tid).values(status=status.value, updated_at=tx.now)
        )
        if to_add:
            await note_assigned_in(tx, actor, tid, to_add, status)
        if to_remove:
            await tx.activity(actor, "unassigned", tid, agents=to_remove, status=status.value)
