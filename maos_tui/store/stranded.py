"""Tasks left blocked by a dependency that will not be done.

A task waits until every task it comes `after` is done. Cancelling or archiving one of
those leaves the dependents blocked: only the user knows whether the dependency comes back
(retry, restore) or is no longer needed (`task edit --after`), so they stay blocked, and
each gets an Activity saying why, written in the transaction that strands it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import FINAL_STATUSES, TaskStatus
from maos_tui.store.models import Task, TaskDependency
from maos_tui.store.records import seq_key

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

VERB = "left blocked"


class _Move(Protocol):
    task_id: str
    status: TaskStatus
    actor: str


async def waiting_on(conn: AsyncConnection, dependency: str) -> list[str]:
    """Live, unfinished tasks that wait for `dependency`, in ID order."""
    rows = await conn.execute(
        select(Task.id)
        .join(TaskDependency, TaskDependency.task_id == Task.id)
        .where(
            TaskDependency.depends_on == dependency,
            Task.archived == False,  # noqa: E712
            Task.status.not_in([s.value for s in FINAL_STATUSES]),
        )
    )
    return sorted((row[0] for row in rows.all()), key=seq_key)


async def _note_in(tx: Tx, dependency: str, what: str, actor: str) -> None:
    for task_id in await waiting_on(tx.conn, dependency):
        reason = f"it waits for {dependency}, which was {what} and will not be done"
        await tx.activity(actor, VERB, task_id, dependency=dependency, reason=reason)


async def note_cancelled_in(tx: Tx, moves: Sequence[_Move]) -> None:
    for move in moves:
        if move.status is TaskStatus.CANCELLED:
            await _note_in(tx, move.task_id, "cancelled", move.actor)


async def note_archived_in(tx: Tx, task_id: str, archived: bool, status: str, actor: str) -> None:
    """An archived task that is done blocks nobody; one that is not will never be done."""
    if archived and status != TaskStatus.DONE.value:
        await _note_in(tx, task_id, "archived", actor)


async def left_blocked(store: Store, task_id: str) -> list[str]:
    """The tasks `task_id` now blocks for good (none once it is done), for the CLI to say."""
    async with store.read() as conn:
        task = await store.tasks.get(task_id, conn)
        if task.status is TaskStatus.DONE:
            return []
        return await waiting_on(conn, task.id)
