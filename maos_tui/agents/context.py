"""What an agent is told about its task: the task, its parent's and dependencies' results,
its message thread, the mentions of it delivered with this run and (for LLMs) the current
WORKING.md, truncated to fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui.collab import MessageRecord
from maos_tui.config import WORKING_FILE
from maos_tui.domain import TaskRecord, iso_z
from maos_tui.safe_read import read_regular_file
from maos_tui.working_md.files import MAX_BYTES

if TYPE_CHECKING:
    from maos_tui.config import Workspace
    from maos_tui.store import Store
    from maos_tui.store.core import Reader

WORKING_MD_CHARS = 12_000


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
        drafts = await draft_many(store, await store.reader(conn), wanted)
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
    store: Store, reader: Reader, wanted: Sequence[tuple[TaskRecord, str | None]]
) -> list[Draft]:
    """Read the contexts of runs starting together, with one statement per kind of thing
    for all of them: threads, parents and dependencies, pending mentions. `reader` is a
    read transaction, or the write transaction that starts the runs (the scheduler's)."""
    ids = [task.id for task, _ in wanted]
    agents = sorted({agent for _, agent in wanted if agent is not None})
    others = sorted({t for task, _ in wanted for t in (task.parent, *task.after) if t})
    found = await store.tasks.get_many_in(reader, others) if others else []
    threads = await store.agent_context.threads_in(reader, ids)
    pending = await store.agent_context.undelivered_in(reader, agents, ids)
    briefs = {t.id: _brief(t) for t in found}
    drafts = []
    for task, agent in wanted:
        task_json = task.to_json()
        task_json["last_error"] = task.last_error
        context: dict[str, Any] = {
            "task": task_json,
            "parent": briefs.get(task.parent) if task.parent else None,
            "dependencies": [briefs[d] for d in task.after if d in briefs],
            "messages": [_message(m) for m in threads.get(task.id, ())],
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


def _message(m: MessageRecord) -> dict[str, Any]:
    return {
        "id": m.id,
        "author": m.author,
        "type": m.type.value,
        "text": m.text,
        "reply_to": m.reply_to,
        "time": iso_z(m.created_at),
    }


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
