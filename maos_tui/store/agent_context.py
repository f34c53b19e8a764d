"""What a run's context reads besides the tasks: the recent messages of each task's thread
and which of the agents have mentions there not delivered yet. For runs starting
together, one statement per kind of thing for all of them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from maos_tui.collab import MessageRecord
from maos_tui.store.models import Message, Notification
from maos_tui.store.prepared import Prepared
from maos_tui.store.records import message_record
from maos_tui.store.task_queries import in_json

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store

MESSAGES_KEPT = 50
_MESSAGE_KEYS = ("id", "task_id", "author", "type", "text", "reply_to", "created_at")


def _threads_query(ids: Any) -> Any:
    """The last MESSAGES_KEPT messages of each task's thread, oldest first."""
    newest_first = func.row_number().over(partition_by=Message.task_id, order_by=Message.id.desc())
    numbered = (
        select(Message, newest_first.label("newest")).where(Message.task_id.in_(ids)).subquery()
    )
    return (
        select(*(numbered.c[key] for key in _MESSAGE_KEYS))
        .where(numbered.c.newest <= MESSAGES_KEPT)
        .order_by(numbered.c.task_id, numbered.c.id)
    )


def _pending_query(agents: Any, ids: Any) -> Any:
    return select(Notification.recipient, Notification.task_id).where(
        Notification.recipient.in_(agents),
        Notification.task_id.in_(ids),
        Notification.delivered_at.is_(None),
    )


# On SQLite, one Prepared statement for any number of tasks and agents.
_THREADS_IN = Prepared(_threads_query(in_json("_ids")))
_PENDING_IN = Prepared(_pending_query(in_json("_agents"), in_json("_ids")))


class AgentContextView:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def threads_in(
        self, reader: Reader, task_ids: Sequence[str]
    ) -> dict[str, list[MessageRecord]]:
        """Per task, the last MESSAGES_KEPT messages of its thread, oldest first."""
        if reader.native:
            rows: Iterable[Any] = await reader.rows(_THREADS_IN, {"_ids": json.dumps(task_ids)})
        else:
            rows = (await reader.conn.execute(_threads_query(list(task_ids)))).all()
        threads: dict[str, list[MessageRecord]] = {}
        for row in rows:
            message = message_record(dict(zip(_MESSAGE_KEYS, row, strict=True)))
            threads.setdefault(message.task_id, []).append(message)
        return threads

    async def undelivered_in(
        self, reader: Reader, agents: Sequence[str], task_ids: Sequence[str]
    ) -> set[tuple[str, str]]:
        """The (agent, task) pairs among these with a mention not delivered yet."""
        if not agents:
            return set()
        if reader.native:
            params = {"_agents": json.dumps(agents), "_ids": json.dumps(task_ids)}
            rows: Iterable[Any] = await reader.rows(_PENDING_IN, params)
        else:
            rows = (await reader.conn.execute(_pending_query(list(agents), list(task_ids)))).all()
        return {(recipient, task_id) for recipient, task_id in rows}
