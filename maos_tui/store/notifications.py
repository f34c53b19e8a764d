"""Notifications from @mentions, with delivery and read receipts.

Who gets notified: `@name` in a message or a task description notifies agent `name`;
`@human` or `@<user_name>` (the configured user name, see `set_user_name`) notifies the
person, stored with recipient `human`. An agent's question that mentions no agent goes to
the human too. Other names stay plain text and come back in `Mentions.unknown` so the
caller can warn. Authors are never notified of their own mentions.

Lifecycle of a notification: created (undelivered) -> delivered -> read.

For agents, the scheduler drives it (scheduler/core.py, agents/context.py):

    pending = await store.notifications.pending_for(agent)      # on the agent's heartbeat:
    # ... a free agent with pending mentions gets a reply run on the mentioning task ...
    fresh = await store.notifications.claim_for(agent, task_id=task)  # as any run starts:
    # ... `fresh` goes into the run's context (LLM prompt / command agent stdin) ...
    await store.notifications.answered_in(tx, agent, task)       # when the run ends

`claim_for` sets `delivered_at` with a compare-and-set in one write transaction, so a
notification is never delivered twice, even with two schedulers on one database. For an
agent, "read" means answered: it posted in the task's thread (`MessageService.post_in`
calls `answered_in`) or its run on the task ended. `open_mentions()` counts per agent
what is undelivered or delivered but not answered yet: `run --until-idle` treats that
as pending work.

For the human, the TUI marks notifications delivered when it shows their toast
(`mark_delivered`), and read on the notifications screen; `maos-tui notify read` does
the same from the CLI (`mark_read`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import Mentions, NotificationRecord, find_mentions
from maos_tui.domain import HUMAN, DomainError
from maos_tui.store.models import Agent, Notification
from maos_tui.store.prepared import Prepared

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

EXCERPT_CHARS = 160


def _record(row: Any) -> NotificationRecord:
    return NotificationRecord(
        id=row["id"],
        recipient=row["recipient"],
        task_id=row["task_id"],
        message_id=row["message_id"],
        text=row["text"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        read_at=row["read_at"],
    )


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


# Module level: the board's first paint runs it too (store/stdlib/compiled_sql_gen.py).
UNREAD = select(func.count()).where(
    Notification.recipient == bindparam("recipient"), Notification.read_at.is_(None)
)


class NotificationService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.human_names = {HUMAN}

    def set_user_name(self, name: str) -> None:
        """`@<name>` then notifies the person as well as `@human`."""
        self.human_names = {HUMAN, name}

    # ----------------------------------------------------------- mentions

    async def resolve(self, text: str, conn: AsyncConnection | None = None) -> Mentions:
        """What the mentions in `text` would notify, without writing (composer warnings)."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.resolve(text, fresh)
        return await self._resolve(conn, find_mentions(text))

    async def _resolve(self, conn: AsyncConnection, names: list[str]) -> Mentions:
        candidates = [n for n in names if n not in self.human_names]
        found: set[str] = set()
        if candidates:
            rows = await conn.execute(select(Agent.name).where(Agent.name.in_(candidates)))
            found = {r[0] for r in rows.all()}
        return Mentions(
            agents=tuple(n for n in candidates if n in found),
            human=len(candidates) < len(names),
            unknown=tuple(n for n in candidates if n not in found),
        )

    async def notify_in(
        self,
        tx: Tx,
        *,
        task_id: str,
        author: str,
        text: str,
        message_id: int | None = None,
        to_human: bool = False,
        skip: Iterable[str] = (),
    ) -> Mentions:
        """Notify everyone `text` mentions (except `skip`, e.g. names an edit kept)."""
        skipped = set(skip)
        names = [n for n in find_mentions(text) if n not in skipped]
        mentions = await self._resolve(tx.conn, names)
        recipients = [a for a in mentions.agents if a != author]
        if author != HUMAN and (mentions.human or (to_human and not mentions.agents)):
            recipients.append(HUMAN)
        if not recipients:
            return mentions
        where = "in the thread" if message_id is not None else "in the description"
        note = f"{author} mentioned you {where} of {task_id}: {excerpt(text)}"
        await tx.conn.execute(
            insert(Notification),
            [
                {
                    "recipient": name,
                    "task_id": task_id,
                    "message_id": message_id,
                    "text": note,
                    "created_at": tx.now,
                }
                for name in recipients
            ],
        )
        await tx.activity(
            author,
            "mentioned",
            task_id,
            topic="notification",
            recipients=recipients,
            message_id=message_id,
        )
        return mentions

    # ------------------------------------------------------------- reads

    async def list(
        self,
        recipient: str = HUMAN,
        *,
        unread: bool = False,
        limit: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> list[NotificationRecord]:
        """Newest first."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(recipient, unread=unread, limit=limit, conn=fresh)
        query = select(Notification).where(Notification.recipient == recipient)
        if unread:
            query = query.where(Notification.read_at.is_(None))
        query = query.order_by(Notification.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [_record(row) for row in (await conn.execute(query)).mappings()]

    async def unread_count(
        self, recipient: str = HUMAN, conn: AsyncConnection | None = None
    ) -> int:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.unread_count(recipient, fresh)
        return int((await conn.execute(UNREAD, {"recipient": recipient})).scalar_one())

    async def pending_for(
        self, agent: str, conn: AsyncConnection | None = None, *, task_id: str | None = None
    ) -> list[NotificationRecord]:
        """Undelivered notifications of `agent` (on `task_id` only, if given), oldest first.
        A peek: nothing is marked."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.pending_for(agent, fresh, task_id=task_id)
        query = (
            select(Notification)
            .where(Notification.recipient == agent, Notification.delivered_at.is_(None))
            .order_by(Notification.id)
        )
        if task_id is not None:
            query = query.where(Notification.task_id == task_id)
        return [_record(row) for row in (await conn.execute(query)).mappings()]

    async def open_mentions(self, conn: AsyncConnection | None = None) -> dict[str, int]:
        """Per agent: notifications not delivered yet, or delivered but not answered/read."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.open_mentions(fresh)
        query = (
            select(Notification.recipient, func.count())
            .where(Notification.recipient != HUMAN, Notification.read_at.is_(None))
            .group_by(Notification.recipient)
        )
        return {name: int(n) for name, n in (await conn.execute(query)).all()}

    # ---------------------------------------------------------- mutations

    async def claim_for(
        self, agent: str, *, task_id: str | None = None
    ) -> list[NotificationRecord]:
        """Mark `agent`'s undelivered notifications (on `task_id`, if given) delivered and
        return them: each is returned by exactly one call."""
        async with self.store.write() as tx:
            pending = await self.pending_for(agent, tx.conn, task_id=task_id)
            claimed = await self.mark_delivered_in(tx, [n.id for n in pending])
            return [replace(n, delivered_at=tx.now) for n in pending if n.id in claimed]

    async def mark_delivered(self, ids: Sequence[int]) -> list[int]:
        async with self.store.write() as tx:
            return await self.mark_delivered_in(tx, ids)

    async def mark_delivered_in(self, tx: Tx, ids: Sequence[int]) -> list[int]:
        """Set `delivered_at` where it is still empty; returns the IDs this call delivered."""
        if not ids:
            return []
        rows = await tx.conn.execute(
            select(Notification.id, Notification.recipient, Notification.task_id).where(
                Notification.id.in_(list(ids)), Notification.delivered_at.is_(None)
            )
        )
        fresh = rows.all()
        if not fresh:
            return []
        marked = [r[0] for r in fresh]
        await tx.conn.execute(
            update(Notification).where(Notification.id.in_(marked)).values(delivered_at=tx.now)
        )
        for recipient, group in _by_recipient(fresh).items():
            await tx.activity(
                recipient,
                "received",
                None,
                topic="notification",
                agent=recipient,
                ids=group,
                target="notifications",
            )
        return marked

    async def mark_read(self, ids: Sequence[int] | None, recipient: str = HUMAN) -> list[int]:
        """Mark read (all unread of `recipient` when `ids` is None); returns what changed.

        Unknown IDs, or IDs of another recipient, are an error and nothing is marked."""
        async with self.store.write() as tx:
            query = select(Notification.id, Notification.recipient, Notification.read_at)
            if ids is None:
                query = query.where(
                    Notification.recipient == recipient, Notification.read_at.is_(None)
                )
            else:
                query = query.where(Notification.id.in_(list(ids)))
            rows = (await tx.conn.execute(query)).all()
            if ids is not None:
                known = {r[0] for r in rows if r[1] == recipient}
                missing = [i for i in ids if i not in known]
                if missing:
                    raise DomainError(f"unknown notification {', '.join(map(str, missing))}")
            marked = [r[0] for r in rows if r[2] is None]
            if marked:
                await tx.conn.execute(
                    update(Notification)
                    .where(Notification.id.in_(marked))
                    .values(
                        read_at=tx.now,
                        # Read implies seen: a notification never stays "undelivered" after it.
                        delivered_at=func.coalesce(Notification.delivered_at, tx.now),
                    )
                )
                await tx.activity(
                    recipient,
                    "read",
                    None,
                    topic="notification",
                    ids=marked,
                    target="notifications",
                )
            return marked

    async def answered_in(self, tx: Tx, agent: str, task_id: str) -> None:
        """The agent posted in the thread, or a run of it on the task ended: its delivered
        mentions there count as read (answered)."""
        await self.answered_many_in(tx, [(agent, task_id)])

    async def answered_many_in(self, tx: Tx, pairs: Iterable[tuple[str, str]]) -> None:
        """`answered_in` for many (agent, task) pairs, in one executemany (runs that end
        together)."""
        rows = [{"_agent": agent, "_task": task_id, "_now": tx.now} for agent, task_id in pairs]
        await tx.run_many(_ANSWERED, rows)


_NOTIFICATIONS = Notification.__table__  # type: ignore[attr-defined]
_ANSWERED = Prepared(
    update(_NOTIFICATIONS)
    .where(
        _NOTIFICATIONS.c.recipient == bindparam("_agent"),
        _NOTIFICATIONS.c.task_id == bindparam("_task"),
        _NOTIFICATIONS.c.delivered_at.is_not(None),
        _NOTIFICATIONS.c.read_at.is_(None),
    )
    .values(read_at=bindparam("_now"))
)


def _by_recipient(rows: Iterable[Any]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for nid, recipient, _task in rows:
        grouped.setdefault(recipient, []).append(nid)
    return grouped
