"""`maos-tui task ...`"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from maos_tui.commands.context import arg_type, command_group
from maos_tui.commands.task_branch import register_branch_actions
from maos_tui.domain import TaskRecord, parse_status, parse_task_id, validate_priority

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.store import Store

STATUS = arg_type(parse_status)
TASK_ID = arg_type(parse_task_id)
PRIORITY = arg_type(validate_priority)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "task", "create, list, move and edit tasks")

    add = action("add", "create a task and print its ID", task_add)
    add.add_argument("title")
    add.add_argument("--description", default="")
    add.add_argument("--priority", type=PRIORITY, default=2, metavar="0-3")
    add.add_argument("--after", action="append", default=[], metavar="ID")
    add.add_argument("--needs", action="append", default=[], metavar="CAP")
    add.add_argument("--assign", action="append", default=[], metavar="AGENT")
    add.add_argument("--parent", metavar="ID")
    add.add_argument("--label", action="append", default=[], metavar="L")
    add.add_argument("--json", action="store_true")

    lst = action("list", "list tasks (priority, then ID)", task_list)
    lst.add_argument("--status", action="append", default=[], type=STATUS, metavar="S")
    lst.add_argument("--assignee", metavar="NAME")
    lst.add_argument("--archived", action="store_true", help="list archived tasks instead")
    lst.add_argument("--json", action="store_true")

    show = action("show", "show one task", task_show)
    show.add_argument("id", type=TASK_ID)
    show.add_argument("--json", action="store_true")

    move = action("move", "move a task to a status", task_move)
    move.add_argument("id", type=TASK_ID)
    move.add_argument("status", type=STATUS)
    move.add_argument("--json", action="store_true", help="print the task")

    for name, handler in (("assign", task_assign), ("unassign", task_unassign)):
        parser = action(name, f"{name} agents", handler)
        parser.add_argument("id", type=TASK_ID)
        parser.add_argument("agents", nargs="+", metavar="AGENT")
        parser.add_argument("--json", action="store_true", help="print the task")

    edit = action("edit", "change a task's fields", task_edit)
    edit.add_argument("id", type=TASK_ID)
    edit.add_argument("--title")
    edit.add_argument("--description")
    edit.add_argument("--priority", type=PRIORITY, metavar="0-3")
    edit.add_argument("--after", action="append", metavar="ID", help="replaces the dependencies")
    edit.add_argument("--no-after", action="store_true", help="remove every dependency")
    edit.add_argument("--needs", action="append", metavar="CAP", help="replaces the needs")
    edit.add_argument("--no-needs", action="store_true", help="remove every need")
    edit.add_argument("--json", action="store_true", help="print the task")

    allow = action("allow", "start a task the forecast gate holds, once", task_allow)
    allow.add_argument("id", type=TASK_ID)
    allow.add_argument("--json", action="store_true", help="print the task")

    register_branch_actions(action, TASK_ID)
    for name, (help_text, _) in _BY_ID.items():
        by_id = action(name, help_text, task_by_id)
        by_id.add_argument("id", type=TASK_ID)
        by_id.add_argument("--json", action="store_true", help="print the task")


def describe(task: TaskRecord) -> str:
    """One line per task, aligned for the terminal."""
    who = " ".join(f"@{a}" for a in task.assignees)
    flags = []
    if task.blocked:
        flags.append("blocked")
    if task.archived:
        flags.append("archived")
    tail = f"  [{', '.join(flags)}]" if flags else ""
    who = f"  {who}" if who else ""
    return f"{task.id:<9} {task.status.value:<11} P{task.priority}  {task.title}{who}{tail}"


async def task_add(ctx: Context, args: argparse.Namespace) -> int:
    fields = {
        "description": args.description,
        "priority": args.priority,
        "after": args.after,
        "needs": args.needs,
        "assignees": args.assign,
        "parent": args.parent,
        "labels": args.label,
        "max_retries": ctx.config.scheduler().max_retries,
    }
    task = await _add_without_store(ctx, args.title, fields) if ctx.stdlib else None
    if task is None:
        async with ctx.store(writes=True) as store:
            task = await store.tasks.create(args.title, **fields)
            await warn_unknown_mentions(ctx, store, args.description)
    if ctx.json:
        ctx.emit(task.to_json())
    else:
        ctx.out(task.id)
    return 0


async def _add_without_store(ctx: Context, title: str, fields: dict[str, Any]) -> TaskRecord | None:
    """The task created on the stdlib path (store/stdlib/lite_add.py), WORKING.md then rewritten;
    None, with nothing written, when it takes the store."""
    from maos_tui.commands.working import rewrite_after_stdlib_write
    from maos_tui.store.errors import NeedsStore
    from maos_tui.store.stdlib.lite_add import add_task
    from maos_tui.store.task_create import NewTask

    try:
        task = await add_task(ctx.db_url, NewTask.checked(title, **fields), ctx.config.agents)
    except NeedsStore:
        return None
    await rewrite_after_stdlib_write(ctx)
    return task


async def warn_unknown_mentions(ctx: Context, store: Store, text: str | None) -> None:
    """The warnings `msg post` gives for names that are neither an agent nor the user."""
    if text:
        for warning in (await store.notifications.resolve(text)).warnings:
            ctx.warn(warning)


async def task_list(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        if args.assignee:
            await store.agents.get(args.assignee)  # an unknown name is an error, not no tasks
        found = await store.tasks.list(
            statuses=args.status or None, assignee=args.assignee, archived=args.archived
        )
    ctx.emit_all(found, describe)
    return 0


async def task_show(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        task = await store.tasks.get(args.id)
    if ctx.json:
        ctx.emit(task.to_json())
        return 0
    ctx.out(f"{task.id}  {task.title}")
    rows = [
        ("status", task.status.value + ("  (blocked)" if task.blocked else "")),
        ("priority", f"P{task.priority}"),
        ("assignees", ", ".join(task.assignees) or "-"),
        ("after", ", ".join(task.after) or "-"),
        ("needs", ", ".join(task.needs) or "-"),
        ("labels", ", ".join(task.labels) or "-"),
        ("parent", task.parent or "-"),
        ("retries", f"{task.retry_count}/{task.max_retries}"),
        ("created", f"{task.created_at:%Y-%m-%d %H:%M} UTC by {task.created_by}"),
    ]
    if task.archived:
        rows.append(("archived", "yes (`maos-tui task restore` brings it back)"))
    if task.status_reason:
        rows.append(("reason", task.status_reason))
    if task.last_error:
        rows.append(("last error", task.last_error))
    if task.result:
        rows.append((task.result_label, task.result))
    if task.branch:
        note = f"  ({task.branch.card_note})" if task.branch.card_note else ""
        rows.append(("branch", f"{task.branch.name} from {task.branch.base}{note}"))
        rows.append(("worktree", task.branch.worktree or "-"))
    for label, value in rows:
        ctx.out(f"  {label + ':':<11} {value}")
    if task.description:
        ctx.out()
        ctx.out(task.description)
    return 0


def report(ctx: Context, task: TaskRecord, line: str) -> int:
    """A changed task: the same object as `task show --json` with --json, else `line`."""
    if ctx.json:
        ctx.emit(task.to_json())
    else:
        ctx.out(line)
    return 0


async def task_move(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        task = await store.tasks.move(args.id, args.status)
    return report(ctx, task, f"{task.id} -> {task.status.value}")


async def task_assign(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        task = await store.tasks.assign(args.id, args.agents)
    return report(ctx, task, f"{task.id} assigned to {', '.join(task.assignees)}")


async def task_unassign(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        task = await store.tasks.unassign(args.id, args.agents)
    return report(ctx, task, f"{task.id} assigned to {', '.join(task.assignees) or 'nobody'}")


async def task_edit(ctx: Context, args: argparse.Namespace) -> int:
    after = [] if args.no_after else args.after
    needs = [] if args.no_needs else args.needs
    async with ctx.store(writes=True) as store:
        task = await store.tasks.edit(
            args.id,
            title=args.title,
            description=args.description,
            priority=args.priority,
            after=after,
            needs=needs,
        )
        await warn_unknown_mentions(ctx, store, args.description)
    return report(ctx, task, describe(task))


async def task_allow(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        task = await store.forecasts.allow(args.id)
    return report(ctx, task, f"{task.id} may start once, whatever its forecast")


# Actions that take only an ID: the store method of the same name, then one line of output.
_BY_ID = {
    "cancel": ("cancel a task (a running agent is stopped)", "{id} -> {status}"),
    "retry": ("send a failed or cancelled task back to the inbox", "{id} -> {status}"),
    "archive": ("hide a task", "{id} archived (`maos-tui task restore {id}` brings it back)"),
    "restore": ("bring an archived task back", "{id} restored ({status})"),
}


# What brings back a task whose cancelling or archiving leaves others blocked.
_UNDO = {"cancel": "retry", "archive": "restore"}


async def task_by_id(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.store.stranded import left_blocked

    async with ctx.store(writes=True) as store:
        task = await getattr(store.tasks, args.action)(args.id)
        blocked = await left_blocked(store, task.id) if args.action in _UNDO else []
    report(ctx, task, _BY_ID[args.action][1].format(id=task.id, status=task.status.value))
    if blocked:
        names = " and ".join([", ".join(blocked[:-1]), blocked[-1]] if blocked[1:] else blocked)
        ctx.warn(
            f"{names} {'stay' if blocked[1:] else 'stays'} blocked: waiting for {task.id}, "
            f"which will not be done now (`maos-tui task {_UNDO[args.action]} {task.id}` "
            f"brings it back; `maos-tui task edit ID --after ...` drops it)"
        )
    return 0
