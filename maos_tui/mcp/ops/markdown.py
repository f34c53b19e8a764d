"""The resources: `maos://working` (WORKING.md as it is on disk) and `maos://task/{id}`
(one task as markdown, from what get_task returns)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.mcp.ops.tasks import get_task

if TYPE_CHECKING:
    from maos_tui.mcp.ops import Call
    from maos_tui.store import Store


async def working(store: Store, call: Call) -> dict[str, Any]:
    from maos_tui.safe_read import read_regular_text

    path = call.workspace.working_md
    try:
        return {"text": read_regular_text(path)}
    except FileNotFoundError:
        return {"text": f"(no {path.name} yet: the TUI or `maos-tui run` writes it)\n"}


async def task_markdown(store: Store, call: Call) -> dict[str, Any]:
    task = await get_task(store, call)
    lines = [f"# {task['id']}: {task['title']}", ""]
    facts = [
        ("status", task["status"] + (" (blocked)" if task["blocked"] else "")),
        ("priority", f"P{task['priority']}"),
        ("assignees", ", ".join(task["assignees"]) or "-"),
        ("after", ", ".join(task["after"]) or "-"),
        ("needs", ", ".join(task["needs"]) or "-"),
        ("parent", task["parent"] or "-"),
        ("last error", task["last_error"] or "-"),
        ("result", task["result"] or "-"),
    ]
    lines += [f"- **{label}:** {value}" for label, value in facts]
    if task["description"]:
        lines += ["", task["description"]]
    if task["subtasks"]:
        lines += ["", "## Subtasks", ""]
        lines += [f"- {t['id']} [{t['status']}] {t['title']}" for t in task["subtasks"]]
    if task["documents"]:
        lines += ["", "## Documents", ""]
        lines += [f"- {d['ref']} v{d['version']}: {d['title']}" for d in task["documents"]]
    if task["messages"]:
        lines += ["", "## Messages", ""]
        for m in task["messages"]:
            lines += [f"**{m['author']}** ({m['type']}, {m['created_at']}):", "", m["text"], ""]
    return {"text": "\n".join(lines).rstrip() + "\n"}


OPERATIONS = {"working": working, "task_markdown": task_markdown}
