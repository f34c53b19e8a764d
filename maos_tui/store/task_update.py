"""Several changes to one task in one transaction: its fields, its assignees, its status.

What `task edit`, `task assign`/`unassign` and `task move` do one at a time, checked by the
same service methods; for a caller (an MCP client) that sends them together and must see
either all of them or none written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from maos_tui.domain import HUMAN, TaskRecord, TaskStatus, parse_task_id

if TYPE_CHECKING:
    from maos_tui.store.core import Store


async def update_task(
    store: Store,
    task_id: str,
    *,
    actor: str = HUMAN,
    status: TaskStatus | None = None,
    title: str | None = None,
    description: str | None = None,
    priority: int | None = None,
    assignees: Sequence[str] | None = None,
) -> TaskRecord:
    tid = parse_task_id(task_id)
    async with store.write() as tx:
        await store.tasks.edit_in(
            tx, tid, actor=actor, title=title, description=description, priority=priority
        )
        if assignees is not None:
            current = await store.tasks.get(tid, tx.conn)
            wanted = list(dict.fromkeys(assignees))
            await store.tasks.set_assignees_in(
                tx,
                tid,
                add=[a for a in wanted if a not in current.assignees],
                remove=[a for a in current.assignees if a not in wanted],
                actor=actor,
                current=current,
            )
        if status is not None:
            await store.tasks.move_in(tx, tid, status, actor=actor)
        return await store.tasks.get(tid, tx.conn)
