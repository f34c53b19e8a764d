"""Task threads: messages with a type, an optional reply, and the mentions they carry.

Threading rules (checked here, so the CLI, the TUI composer and the agent tools agree):
- a message belongs to one live (non-archived) task and its text is not blank;
- the author is `human` or a registered agent;
- `reply_to` names a message of the same task.

A `question` from an agent that mentions no other agent is addressed to the human: it
notifies them and the task "needs human" until a person posts in its thread. That state is
derived from the thread (`needs_human`), never stored twice; the scheduler does not start a
run on such a task, and the human's message records an `answered` Activity that wakes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import (
    MessageRecord,
    MessageType,
    parse_message_type,
    validate_message_text,
)
from maos_tui.domain import HUMAN, DomainError, parse_task_id
from maos_tui.store.models import Agent, Message, Notification, Task
from maos_tui.store.prepared import Prepared
from maos_tui.store.records import message_record
from maos_tui.store.search import index_message_in
from maos_tui.store.stdlib.twins import stdlib_twin
from maos_tui.store.task_queries import in_json

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx


# A task that exists (archived or not), and its thread oldest first. Module level: a
# stdlib `msg list` (store/stdlib/) runs these very statements, compiled ahead.
KNOWN_TASK = select(Task.id).where(Task.id == bindparam("id"))
THREAD = select(Message).where(Message.task_id == bindparam("task_id")).order_by(Message.id)
# Which of a JSON array of tasks have a question in their thread (needs_human can only
# hold those): most have none, and then needs_human is not asked.
_WITH_QUESTIONS = Prepared(
    select(Message.task_id)
    .distinct()
    .where(Message.task_id.in_(in_json("_ids")), Message.type == MessageType.QUESTION.value)
)


async def known_task(conn: AsyncConnection, task_id: str) -> str:
    """The canonical ID of a task that exists (archived or not), or a DomainError."""
    tid = parse_task_id(task_id)
    if (await conn.execute(KNOWN_TASK, {"id": tid})).first() is None:
        raise DomainError(f"unknown task {tid}")
    return tid


async def live_task(conn: AsyncConnection, task_id: str, verb: str) -> str:
    """The canonical ID of a task that exists and is not archived, or a DomainError."""
    tid = parse_task_id(task_id)
    archived = (await conn.execute(select(Task.archived).where(Task.id == tid))).first()
    if archived is None:
        raise DomainError(f"unknown task {tid}")
    if archived[0]:
        raise DomainError(f"cannot {verb} {tid}: it is archived (`maos-tui task restore {tid}`)")
    return tid


async def check_author(conn: AsyncConnection, author: str) -> None:
    if author == HUMAN:
        return
    if (await conn.execute(select(Agent.name).where(Agent.name == author))).first() is None:
        raise DomainError(f"unknown agent {author}")


class MessageService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def post(
        self,
        task_id: str,
        author: str,
        text: str,
        type: str = "comment",
        reply_to: int | None = None,
    ) -> MessageRecord:
        async with self.store.write() as tx:
            return await self.post_in(tx, task_id, author, text, type, reply_to)

    async def post_in(
        self,
        tx: Tx,
        task_id: str,
        author: str,
        text: str,
        type: str = "comment",
        reply_to: int | None = None,
    ) -> MessageRecord:
        conn = tx.conn
        body = validate_message_text(text)
        kind = parse_message_type(type) if isinstance(type, str) else MessageType(type)
        tid = await live_task(conn, task_id, "post to")
        await check_author(conn, author)
        if reply_to is not None:
            await self._check_reply(conn, tid, reply_to)
        was_waiting = author == HUMAN and tid in await self.needs_human([tid], conn)
        result = await conn.execute(
            insert(Message).values(
                task_id=tid,
                author=author,
                text=body,
                type=kind.value,
                reply_to=reply_to,
                created_at=tx.now,
            )
        )
        message_id = int(result.inserted_primary_key[0])
        await index_message_in(conn, message_id, tid, body)
        await tx.activity(
            author, "posted", tid, topic="message", message_id=message_id, type=kind.value
        )
        notifications = self.store.notifications
        mentions = await notifications.notify_in(
            tx,
            task_id=tid,
            author=author,
            text=body,
            message_id=message_id,
            to_human=kind is MessageType.QUESTION and author != HUMAN,
        )
        if author != HUMAN:
            await notifications.answered_in(tx, author, tid)
        if was_waiting:
            await tx.activity(author, "answered", tid, message_id=message_id)
        row = {
            "id": message_id,
            "task_id": tid,
            "author": author,
            "text": body,
            "type": kind.value,
            "reply_to": reply_to,
            "created_at": tx.now,
        }
        return message_record(row, mentions=mentions)

    async def _check_reply(self, conn: AsyncConnection, tid: str, reply_to: int) -> None:
        found = (await conn.execute(select(Message.task_id).where(Message.id == reply_to))).first()
        if found is None:
            raise DomainError(f"unknown message {reply_to}")
        if found[0] != tid:
            raise DomainError(f"message {reply_to} belongs to {found[0]}, not {tid}")

    @stdlib_twin()
    async def list(self, task_id: str, conn: AsyncConnection | None = None) -> list[MessageRecord]:
        """The thread of a task, oldest first."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(task_id, fresh)
        tid = await known_task(conn, task_id)
        rows = await conn.execute(THREAD, {"task_id": tid})
        return [message_record(row) for row in rows.mappings()]

    async def needs_human(
        self, task_ids: Iterable[str] | None = None, conn: AsyncConnection | None = None
    ) -> set[str]:
        """Tasks with an agent's question to the human that no human has answered yet."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.needs_human(task_ids, fresh)
        later = Message.__table__.alias("later")
        query = (
            select(Message.task_id)
            .distinct()
            .where(
                Message.type == MessageType.QUESTION.value,
                Message.author != HUMAN,
                exists().where(
                    and_(Notification.message_id == Message.id, Notification.recipient == HUMAN)
                ),
                ~exists().where(
                    and_(
                        later.c.task_id == Message.task_id,
                        later.c.author == HUMAN,
                        later.c.id > Message.id,
                    )
                ),
            )
        )
        if task_ids is not None:
            query = query.where(Message.task_id.in_(list(task_ids)))
        return {row[0] for row in (await conn.execute(query)).all()}

    async def needs_human_in(self, reader: Reader, task_ids: Iterable[str]) -> set[str]:
        """`needs_human` of these tasks, in a Reader's transaction: on SQLite, asked only
        about the tasks with a question in their thread."""
        wanted = list(task_ids)
        if wanted and reader.native:
            rows = await reader.rows(_WITH_QUESTIONS, {"_ids": json.dumps(wanted)})
            wanted = [task_id for (task_id,) in rows]
        if not wanted:
            return set()
        return await self.needs_human(wanted, reader.conn)
