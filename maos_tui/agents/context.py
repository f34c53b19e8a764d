"""What an agent is told about its task: the task, its parent's and dependencies' results,
its message thread, the mentions of it delivered with this run and (for LLMs) the current
WORKING.md, truncated to fit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from maos_tui.config import WORKING_FILE
from maos_tui.domain import DomainError, TaskRecord, iso_z
from maos_tui.store.models import Message

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
    async with store.read() as conn:
        parent = await _brief(store, conn, task.parent) if task.parent else None
        deps = [await _brief(store, conn, dep) for dep in task.after]
        rows = await conn.execute(
            select(Message)
            .where(Message.task_id == task.id)
            .order_by(Message.id.desc())
            .limit(MESSAGES_KEPT)
        )
        messages = [
            {
                "id": m["id"],
                "author": m["author"],
                "type": m["type"],
                "text": m["text"],
                "reply_to": m["reply_to"],
                "time": iso_z(m["created_at"]),
            }
            for m in reversed(rows.mappings().all())
        ]
        # Most runs start with no mention to claim: look before taking the write lock.
        mentioned = agent is not None and bool(
            await store.notifications.pending_for(agent, conn, task_id=task.id)
        )
    task_json = task.to_json()
    task_json["last_error"] = task.last_error
    context: dict[str, Any] = {
        "task": task_json,
        "parent": parent,
        "dependencies": [d for d in deps if d is not None],
        "messages": messages,
    }
    if agent is not None:
        delivered = await store.notifications.claim_for(agent, task_id=task.id) if mentioned else []
        context["notifications"] = [
            {"id": n.id, "message_id": n.message_id, "text": n.text} for n in delivered
        ]
    if task.review_rounds:
        async with store.read() as conn:
            review = await store.runs.latest(conn, task.id, "review", outcome="changes")
        if review is not None:
            context["review_feedback"] = {"reviewer": review.agent_name, "changes": review.error}
    return context


async def _brief(store: Store, conn: Any, task_id: str) -> dict[str, Any] | None:
    try:
        other = await store.tasks.get(task_id, conn)
    except DomainError:
        return None
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
