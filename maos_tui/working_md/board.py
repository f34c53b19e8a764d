"""Read the `Board` snapshot that `render.render_working` draws, in one read transaction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import ActivityRecord
from maos_tui.store.models import Activity, Message
from maos_tui.working_md.render import RECENT_ACTIVITY, Board

if TYPE_CHECKING:
    from maos_tui.store import Store


async def load_board(store: Store, conn: AsyncConnection | None = None) -> Board:
    """Read with `conn` when given (a pass that is still inside its merge transaction)."""
    if conn is None:
        async with store.read() as fresh:
            return await load_board(store, fresh)
    tasks = await store.tasks.list(conn=conn)
    agents = await store.agents.list(conn)
    rows = await conn.execute(select(Activity).order_by(Activity.id.desc()).limit(RECENT_ACTIVITY))
    activities = [
        ActivityRecord(
            id=row["id"],
            created_at=row["created_at"],
            actor=row["actor"],
            verb=row["verb"],
            task_id=row["task_id"],
            details=_details(row["details"]),
        )
        for row in rows.mappings().all()
    ]
    counts = await conn.execute(select(Message.task_id, func.count()).group_by(Message.task_id))
    messages = {task_id: int(n) for task_id, n in counts.all()}
    return Board(tasks=tasks, agents=agents, activities=activities, messages=messages)


def _details(raw: str) -> dict[str, object]:
    try:
        found = json.loads(raw or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
