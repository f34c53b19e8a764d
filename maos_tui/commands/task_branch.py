"""`maos-tui task diff|approve|merge|rebase`: a task's branch reviewed and landed."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import Action

if TYPE_CHECKING:
    from maos_tui.branch_review import Branches
    from maos_tui.commands.context import Context
    from maos_tui.store import Store
    from maos_tui.worktrees import Merged

STRATEGIES = ("squash", "merge", "rebase")


def register_branch_actions(action: Action, task_id: object) -> None:
    diff = action("diff", "show a task's change: base...branch, new files included", task_diff)
    diff.add_argument("id", type=task_id)
    diff.add_argument("--stat", action="store_true", help="files with +/- counts only")
    diff.add_argument("--json", action="store_true")

    approve = action("approve", "approve a task's change and merge it", task_approve)
    approve.add_argument("id", type=task_id)
    approve.add_argument("--json", action="store_true", help="print the merge")

    merge = action("merge", "merge a task's branch into its base", task_merge)
    merge.add_argument("id", type=task_id)
    merge.add_argument("--strategy", choices=STRATEGIES, help="default: [workspace] merge")
    merge.add_argument("--json", action="store_true", help="print the merge")

    rebase = action("rebase", "give the author a run to resolve a conflict", task_rebase)
    rebase.add_argument("id", type=task_id)
    rebase.add_argument("--json", action="store_true", help="print the task")


def branches(ctx: Context, store: Store) -> Branches:
    from maos_tui.branch_review import Branches

    return Branches(store, ctx.workspace.root, ctx.config.workspace_settings())


async def task_diff(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        diff = await branches(ctx, store).diff(args.id)
    if ctx.json:
        payload = diff.as_json()
        if args.stat:
            del payload["diff"]
        ctx.emit(payload)
        return 0
    if args.stat or not diff.text:
        for f in diff.files:
            added = "-" if f.added is None else f"+{f.added}"
            removed = "-" if f.removed is None else f"-{f.removed}"
            renamed = f" (from {f.old_path})" if f.old_path else ""
            ctx.out(f"{added:>7} {removed:>7}  {f.path}{renamed}")
        ctx.out(f"{len(diff.files)} file{'s' if len(diff.files) != 1 else ''} changed")
        return 0
    ctx.out(diff.text)
    return 0


async def task_approve(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        merged = await branches(ctx, store).approve(args.id)
    assert merged is not None  # a person's approval merges
    return _merged(ctx, args.id, merged)


async def task_merge(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        merged = await branches(ctx, store).merge(args.id, strategy=args.strategy)
    return _merged(ctx, args.id, merged)


def _merged(ctx: Context, task_id: str, merged: Merged) -> int:
    if ctx.json:
        ctx.emit({"task": task_id, **merged.as_json()})
        return 0
    ctx.out(
        f"{task_id} merged into {merged.base_branch} as {merged.commit[:12]} ({merged.strategy})"
    )
    if merged.cleanup_error:
        ctx.warn(f"merged; its worktree or branch is left: {merged.cleanup_error}")
    return 0


async def task_rebase(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        task = await branches(ctx, store).rebase(args.id)
    assert task.branch is not None
    files = ", ".join(task.branch.conflict)
    if ctx.json:
        ctx.emit(task.to_json())
    else:
        ctx.out(f"{task.id} -> {task.status.value}: a conflict run resolves {files}")
    return 0
