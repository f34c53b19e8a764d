"""What an agent is told about its task: the task, its parent's and dependencies' results,
its message thread, the mentions of it delivered with this run and (for LLMs) the current
WORKING.md, truncated to fit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from maos_tui.config import WORKING_FILE
from maos_tui.domain import TaskRecord, iso_z
from maos_tui.store.models import Message, Notification

if TYPE_CHECKING:
    from maos_tui.config import Workspace
    from maos_tui.store import Store

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
    """`gather` for runs starting together: the same contexts, in order, read with one
    statement per kind of thing for all of them instead of a few statements each."""
    ids = [task.id for task, _ in wanted]
    agents = sorted({agent for _, agent in wanted if agent is not None})
    async with store.read() as conn:
        others = {t for task, _ in wanted for t in (task.parent, *task.after) if t}
        found = await store.tasks.get_many(others, conn) if others else []
        briefs = {t.id: _brief(t) for t in found}
        threads = await _threads(conn, ids)
        # Most runs start with no mention to claim: look before taking the write lock.
        pending: set[tuple[str, str]] = set()
        if agents:
            rows = await conn.execute(
                select(Notification.recipient, Notification.task_id).where(
                    Notification.recipient.in_(agents),
                    Notification.task_id.in_(ids),
                    Notification.delivered_at.is_(None),
                )
            )
            pending = {(recipient, task_id) for recipient, task_id in rows.all()}
    contexts = []
    for task, agent in wanted:
        task_json = task.to_json()
        task_json["last_error"] = task.last_error
        context: dict[str, Any] = {
            "task": task_json,
            "parent": briefs.get(task.parent) if task.parent else None,
            "dependencies": [briefs[d] for d in task.after if d in briefs],
            "messages": threads.get(task.id, []),
        }
        if agent is not None:
            delivered = (
                await store.notifications.claim_for(agent, task_id=task.id)
                if (agent, task.id) in pending
                else []
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
        contexts.append(context)
    return contexts


async def _threads(conn: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The last MESSAGES_KEPT messages of each task's thread, oldest first."""
    newest_first = func.row_number().over(partition_by=Message.task_id, order_by=Message.id.desc())
    numbered = (
        select(Message, newest_first.label("newest")).where(Message.task_id.in_(ids)).subquery()
    )
    rows = await conn.execute(
        select(numbered)
        .where(numbered.c.newest <= MESSAGES_KEPT)
        .order_by(numbered.c.task_id, numbered.c.id)
    )
    threads: dict[str, list[dict[str, Any]]] = {}
    for m in rows.mappings().all():
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
    try:
        text = (root / WORKING_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n\n[... WORKING.md truncated: {len(text) - limit} more characters]"
