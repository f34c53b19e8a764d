"""list_tasks, get_task, create_task, update_task: the rules of `task list/show/add/edit/
move/assign`, through the same service methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.domain import DomainError, TaskMatch, TaskRecord, parse_status

if TYPE_CHECKING:
    from maos_tui.mcp.ops import Call
    from maos_tui.store import Store

MESSAGES_SHOWN = 20
LIST_MAX = 500


def row(task: TaskRecord) -> dict[str, Any]:
    """A task in a list: what a caller needs to pick one, no more."""
    return {
        "id": task.id,
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority,
        "assignees": list(task.assignees),
        "blocked": task.blocked,
    }


def full(task: TaskRecord) -> dict[str, Any]:
    return {
        **task.to_json(),
        "last_error": task.last_error,
        "status_reason": task.status_reason,
    }


async def list_tasks(store: Store, call: Call) -> dict[str, Any]:
    args = call.args
    limit = 50 if args.get("limit") is None else int(args["limit"])
    if not 1 <= limit <= LIST_MAX:
        raise DomainError(f"limit must be from 1 to {LIST_MAX}, not {limit}")
    statuses = [parse_status(args["status"])] if args.get("status") else None
    assignee = args.get("assignee") or None
    if assignee:
        await store.agents.get(assignee)  # an unknown name is an error, not no tasks
    query = (args.get("query") or "").split()
    match = TaskMatch(words=tuple(query)) if query else None
    found = await store.tasks.list(statuses, assignee, match=match, limit=limit + 1)
    return {"tasks": [row(t) for t in found[:limit]], "more": len(found) > limit}


async def get_task(store: Store, call: Call) -> dict[str, Any]:
    from maos_tui.store.subtasks import subtasks

    task = await store.tasks.get(str(call.args.get("id", "")))
    thread = await store.messages.list(task.id)
    docs = await store.documents.list(task.id)
    children = await subtasks(store, task.id)
    return {
        **full(task),
        "subtasks": [row(t) for t in children],
        "messages": [m.to_json() for m in thread[-MESSAGES_SHOWN:]],
        "documents": [{"ref": d.ref, "title": d.title, "version": d.latest} for d in docs],
        "diff_stat": await _diff_stat(task, call),
    }


async def _diff_stat(task: TaskRecord, call: Call) -> dict[str, Any] | None:
    """The files a worktree task changed, with +/- counts (`task diff --stat`); None for a
    task without a branch, or one already merged (its branch is gone)."""
    branch = task.branch
    if branch is None or branch.merge_commit:
        return None
    from maos_tui.branch_review import in_thread, repo_of
    from maos_tui.worktrees import diff_stat

    root = call.workspace.root
    try:
        files = await in_thread(lambda: diff_stat(repo_of(root).root, branch.base, branch.name))
    except DomainError as exc:
        return {"error": str(exc)}
    return {"branch": branch.name, "base": branch.base, "files": [f.as_json() for f in files]}


async def create_task(store: Store, call: Call) -> dict[str, Any]:
    args = call.args
    task = await store.tasks.create(
        str(args.get("title", "")),
        description=args.get("description") or "",
        priority=2 if args.get("priority") is None else args["priority"],
        after=list(args.get("after") or []),
        needs=list(args.get("needs") or []),
        assignees=list(args.get("assign") or []),
        parent=args.get("parent") or None,
        created_by=call.caller,
        max_retries=call.config.scheduler().max_retries,
    )
    warnings = (await store.notifications.resolve(task.description)).warnings
    return {**full(task), "warnings": warnings}


async def update_task(store: Store, call: Call) -> dict[str, Any]:
    from maos_tui.store.task_update import update_task as update

    args = call.args
    status = args.get("status")
    task = await update(
        store,
        str(args.get("id", "")),
        actor=call.caller,
        status=parse_status(status) if status else None,
        title=args.get("title"),
        description=args.get("description"),
        priority=args.get("priority"),
        assignees=args.get("assignees"),
    )
    return full(task)


OPERATIONS = {
    "list_tasks": list_tasks,
    "get_task": get_task,
    "create_task": create_task,
    "update_task": update_task,
}
