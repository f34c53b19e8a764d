"""The alerts' record in the store (maos_tui/alerts/ decides and delivers them).

What was sent is an Activity (`sent alert`, naming the alert keys it carried), written
with the scan position in `maos_meta` in one transaction: a scheduler that starts again
reads on from there and skips keys already sent, so each alert goes out once, across
restarts too. A channel's trouble is an Activity as well (`alert channel failed`,
`alert channel recovered`), written when its state changes, so `doctor` in another
process can tell. No new table: alerts are rare, and the Activities are their history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update

from maos_tui.domain import HUMAN, ActivityRecord
from maos_tui.store.models import Activity, Meta, Notification
from maos_tui.store.records import activity_record

if TYPE_CHECKING:
    from maos_tui.store.core import Store

ACTOR = "alerts"
SENT = "sent alert"
CHANNEL_FAILED = "alert channel failed"
CHANNEL_RECOVERED = "alert channel recovered"
_CURSOR_KEY = "alerts_cursor"
# The Activities that may call for the person: the rules (alerts/rules.py) read only these.
WATCHED_VERBS = (
    "mentioned",
    "asked human",
    "failed",
    "moved",
    "set agent paused",
    "set agent offline",
    "marked agent offline",
)
# How many channel Activities doctor reads back: each channel's newest is among them.
_CHANNEL_HISTORY = 200


@dataclass(frozen=True, slots=True)
class Scan:
    """The watched Activities after a position, and the position read up to."""

    activities: list[ActivityRecord]
    position: int
    more: bool = False  # the limit was reached: more come after `position`


@dataclass(frozen=True, slots=True)
class ChannelState:
    channel: str
    failing: bool
    message: str
    at: datetime


class AlertLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def position(self) -> int:
        """Where the alerts read on from; the newest Activity the first time (a workspace's
        old history is not alerted about), saved so that a restart starts from there."""
        async with self.store.read() as conn:
            row = (await conn.execute(select(Meta.value).where(Meta.key == _CURSOR_KEY))).first()
            newest = (await conn.execute(select(func.max(Activity.id)))).scalar() or 0
        if row is not None:
            return int(row[0])
        async with self.store.write() as tx:
            await tx.conn.execute(insert(Meta).values(key=_CURSOR_KEY, value=str(newest)))
        return int(newest)

    async def scan(self, after: int, limit: int = 500) -> Scan:
        """The watched Activities after `after`, oldest first, at most `limit`."""
        async with self.store.read() as conn:
            newest = (await conn.execute(select(func.max(Activity.id)))).scalar() or 0
            rows = await conn.execute(
                select(Activity)
                .where(
                    Activity.id > after,
                    Activity.id <= newest,
                    Activity.verb.in_(WATCHED_VERBS),
                )
                .order_by(Activity.id)
                .limit(limit)
            )
            found = [activity_record(r) for r in rows.mappings().all()]
        if len(found) == limit:
            return Scan(found, found[-1].id, more=True)
        return Scan(found, max(newest, after))

    async def question_text(self, task_id: str, message_id: int | None) -> str | None:
        """The person's notification for a mention (its text names who asked, and what)."""
        async with self.store.read() as conn:
            query = select(Notification.text).where(
                Notification.recipient == HUMAN, Notification.task_id == task_id
            )
            if message_id is not None:
                query = query.where(Notification.message_id == message_id)
            row = (await conn.execute(query.order_by(Notification.id.desc()).limit(1))).first()
        return None if row is None else str(row[0])

    async def sent_among(self, keys: Iterable[str], after: int = 0) -> set[str]:
        """Which of `keys` a `sent alert` Activity newer than `after` carried."""
        wanted = set(keys)
        if not wanted:
            return set()
        async with self.store.read() as conn:
            rows = await conn.execute(
                select(Activity.details).where(
                    Activity.id > after,
                    Activity.verb == SENT,
                    or_(*(Activity.details.contains(json.dumps(k)) for k in wanted)),
                )
            )
            found: set[str] = set()
            for (details,) in rows.all():
                found |= wanted & set(_details(details).get("keys", []))
        return found

    async def record_sent(
        self, task_id: str | None, keys: Sequence[str], position: int, **details: Any
    ) -> None:
        """An alert handed to the channels, and the scan position it leaves behind."""
        async with self.store.write() as tx:
            await tx.activity(
                ACTOR, SENT, task_id, topic="alert", keys=list(keys), target=HUMAN, **details
            )
            await self._save_position(tx, position)

    async def save_position(self, position: int) -> None:
        async with self.store.write() as tx:
            await self._save_position(tx, position)

    async def _save_position(self, tx: Any, position: int) -> None:
        await tx.conn.execute(
            update(Meta).where(Meta.key == _CURSOR_KEY).values(value=str(position))
        )

    async def record_channel(self, channel: str, failing: bool, message: str) -> None:
        """A channel started failing (or failed for good), or works again."""
        verb = CHANNEL_FAILED if failing else CHANNEL_RECOVERED
        async with self.store.write() as tx:
            await tx.activity(
                ACTOR, verb, topic="alert", target=channel, channel=channel, message=message
            )

    async def channel_states(self) -> dict[str, ChannelState]:
        """Each channel's newest state, as last recorded."""
        async with self.store.read() as conn:
            rows = await conn.execute(
                select(Activity)
                .where(Activity.verb.in_((CHANNEL_FAILED, CHANNEL_RECOVERED)))
                .order_by(Activity.id.desc())
                .limit(_CHANNEL_HISTORY)
            )
            states: dict[str, ChannelState] = {}
            for row in rows.mappings().all():
                record = activity_record(row)
                channel = str(record.details.get("channel", ""))
                if channel and channel not in states:
                    states[channel] = ChannelState(
                        channel,
                        record.verb == CHANNEL_FAILED,
                        str(record.details.get("message", "")),
                        record.created_at,
                    )
        return states


def _details(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
