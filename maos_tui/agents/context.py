"""What an agent is told about its task: the task, its parent's and dependencies' results,
its message thread, the mentions of it delivered with this run and (for LLMs) the current
WORKING.md, truncated to fit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.config import WORKING_FILE
from maos_tui.domain import TaskRecord, iso_z
from maos_tui.safe_read import read_regular_file
from maos_tui.store.models import Message, Notification
from maos_tui.store.prepared import Prepared
from maos_tui.working_md.files import MAX_BYTES

if TYPE_CHECKING:
    from maos_tui.config import Workspace
    from maos_tui.store import Store, Tx

WORKING_MD_CHARS = 12_000
MESSAGES_KEPT = 50


async def gather(
    store: Store, workspace: Workspace, task: TaskRecord, agent: str | None = None
) -> dict[str, Any]:
    """The run's context. With `agent`, its undelivered mentions on this task are claimed
    (marked delivered, so each reaches the agent exactly once) and included."""
    return (await gather_many(store, workspace, [(task, agent)]))[0]


async def gather_many(
    store: Store, workspace: Workspace, wanted: Sequence[tuple[TaskRecord, str | None]]
) -> list[dict[str, Any]]:
    """`gather` for many runs: the same contexts, in order."""
    async with store.read() as conn:
        drafts = await draft_many(store, conn, wanted)
    return [await complete(store, draft) for draft in drafts]


@dataclass(frozen=True, slots=True)
class Draft:
    """A run's context as read together with other runs' (draft_many), before the parts
    that take statements of their own: claiming its mentions (a write) and, after a
    review asked for changes, the reviewer's feedback. Most runs need neither."""

    context: dict[str, Any]
    task: TaskRecord
    agent: str | None
    mentioned: bool  # undelivered mentions of `agent` on the task were seen


async def draft_many(
    store: Store, source: AsyncConnection | Tx, wanted: Sequence[tuple[TaskRecord, str | None]]
) -> list[Draft]:
    """Read the contexts of runs starting together, with one statement per kind of thing
    for all of them: threads, parents and dependencies, pending mentions. `source` is a
    read connection, or the transaction that starts the runs (the scheduler's)."""
    ids = [task.id for task, _ in wanted]
    agents = sorted({agent for _, agent in wanted if agent is not None})
    others = sorted({t for task, _ in wanted for t in (task.parent, *task.after) if t})
    if isinstance(source, AsyncConnection):
        found = await store.tasks.get_many(others, source) if others else []
        threads = _threads(await source.execute(_threads_query(ids)))
        pending = set()
        if agents:
            rows = await source.execute(_pending_query(agents, ids))
            pending = {(recipient, task_id) for recipient, task_id in rows.all()}
    else:
        found = await store.tasks.get_many_in(source, others) if others else []
        threads, pending = await _read_in(source, ids, agents)
    briefs = {t.id: _brief(t) for t in found}
    drafts = []
    for task, agent in wanted:
        task_json = task.to_json()
        task_json["last_error"] = task.last_error
        context: dict[str, Any] = {
            "task": task_json,
            "parent": briefs.get(task.parent) if task.parent else None,
            "dependencies": [briefs[d] for d in task.after if d in briefs],
            "messages": threads.get(task.id, []),
        }
        drafts.append(Draft(context, task, agent, (agent, task.id) in pending))
    return drafts


async def complete(store: Store, draft: Draft) -> dict[str, Any]:
    """The context of a drafted run: its mentions claimed, the review feedback added."""
    context = dict(draft.context)
    task, agent = draft.task, draft.agent
    if agent is not None:
        # Most runs start with no mention to claim: the draft looked before the write lock.
        delivered = (
            await store.notifications.claim_for(agent, task_id=task.id) if draft.mentioned else []
        )
        context["notifications"] = [
            {"id": n.id, "message_id": n.message_id, "text": n.text} for n in delivered
        ]
    if task.review_rounds:
        async with store.read() as conn:
            review = await store.runs.latest(conn, task.id, "review", outcome="changes")
        if review is not None:
            feedback = {"reviewer": review.agent_name, "changes": review.error}
            context["review_feedback"] = feedback
    return context


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


_MESSAGE_KEYS = ("id", "task_id", "author", "type", "text", "reply_to", "created_at")


def _json_array(name: str) -> Any:
    """SQLite: the values of a JSON array parameter, so one statement takes any number."""
    return select(literal_column("value")).select_from(func.json_each(bindparam(name)))


_THREADS_IN = Prepared(_threads_query(_json_array("_ids")))
_PENDING_IN = Prepared(_pending_query(_json_array("_agents"), _json_array("_ids")))


async def _read_in(
    tx: Tx, ids: list[str], agents: list[str]
) -> tuple[dict[str, list[dict[str, Any]]], set[tuple[str, str]]]:
    if not tx.native:
        threads = _threads(await tx.conn.execute(_threads_query(ids)))
        rows = (await tx.conn.execute(_pending_query(agents, ids))).all() if agents else []
        return threads, {(recipient, task_id) for recipient, task_id in rows}
    ids_json = json.dumps(ids)
    threads = _threads(await tx.rows(_THREADS_IN, {"_ids": ids_json}))
    pending: set[tuple[str, str]] = set()
    if agents:
        rows = await tx.rows(_PENDING_IN, {"_agents": json.dumps(agents), "_ids": ids_json})
        pending = {(recipient, task_id) for recipient, task_id in rows}
    return threads, pending


def _threads(rows: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    threads: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        m = dict(zip(_MESSAGE_KEYS, row, strict=True))
        threads.setdefault(m["task_id"], []).append(
            {
                "id": m["id"],
                "author": m["author"],
                "type": m["type"],
                "text": m["text"],
                "reply_to": m["reply_to"],
                "time": iso_z(m["created_at"]),
            }
        )
    return threads


def _brief(other: TaskRecord) -> dict[str, Any]:
    return {
        "id": other.id,
        "title": other.title,
        "status": other.status.value,
        "result": other.result,
    }


def working_md_excerpt(root: Path, limit: int = WORKING_MD_CHARS) -> str:
    """The board for an LLM's prompt; nothing when WORKING.md is not a regular file of a
    size the sync would read (a FIFO would block the event loop, /dev/zero never ends)."""
    try:
        data = read_regular_file(root / WORKING_FILE, MAX_BYTES)
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n\n[... WORKING.md truncated: {len(text) - limit} more characters]"
