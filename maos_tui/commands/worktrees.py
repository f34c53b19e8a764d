"""`maos-tui worktree list|prune`: the tasks' worktrees, and removing finished ones without
ever losing work (refusals are named; `--force` stays inside the worktree root)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import command_group
from maos_tui.domain import FINAL_STATUSES, TaskRecord

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.worktrees import WorktreeInfo

EXIT_REFUSED = 1


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "worktree", "list and prune the tasks' git worktrees")
    lst = action("list", "each task's worktree: branch, size, uncommitted, ahead/behind", listing)
    lst.add_argument("--json", action="store_true")
    prune = action("prune", "remove worktrees of done, archived and cancelled tasks", pruning)
    prune.add_argument(
        "--force", action="store_true", help="also with uncommitted changes or unmerged commits"
    )
    prune.add_argument("--json", action="store_true")


def size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def describe(info: WorktreeInfo) -> str:
    state = "missing" if not info.exists else f"{len(info.uncommitted)} uncommitted"
    if info.exists and not info.uncommitted:
        state = "clean"
    return (
        f"{info.task:<9} {info.branch or '(detached)'}  {size(info.size_bytes)}  {state}  "
        f"+{info.ahead}/-{info.behind} vs {info.base}  {info.path}"
    )


async def _tasks(ctx: Context) -> list[TaskRecord]:

    async with ctx.store() as store:
        return await store.branches.with_branches()


def _bases(tasks: list[TaskRecord]) -> dict[str, str]:
    return {t.id: t.branch.base for t in tasks if t.branch is not None}


async def listing(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.branch_review import in_thread, repo_of
    from maos_tui.worktrees import list_worktrees

    settings = ctx.config.workspace_settings()
    repo = repo_of(ctx.workspace.root)
    bases = _bases(await _tasks(ctx))
    infos = await in_thread(
        lambda: list_worktrees(repo, worktree_root=settings.worktree_root, bases=bases)
    )
    if ctx.json:
        ctx.emit([info.as_json() for info in infos])
    elif not infos:
        ctx.out("no task worktrees")
    for info in [] if ctx.json else infos:
        ctx.out(describe(info))
    return 0


async def pruning(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.branch_review import in_thread, repo_of
    from maos_tui.worktrees import prune

    settings = ctx.config.workspace_settings()
    repo = repo_of(ctx.workspace.root)
    tasks = await _tasks(ctx)
    finished = [t for t in tasks if t.archived or t.status in FINAL_STATUSES]
    report = await in_thread(
        lambda: prune(
            repo,
            [t.id for t in finished],
            force=args.force,
            worktree_root=settings.worktree_root,
            bases=_bases(finished),
        )
    )
    if report.removed:
        async with ctx.store(writes=True) as store:
            for pruned in report.removed:
                what = "worktree and branch" if pruned.branch else "worktree"
                await store.branches.worktree_removed(
                    pruned.task, actor="human", reason=f"pruned ({what})"
                )
    if ctx.json:
        ctx.emit(report.as_json())
    else:
        for pruned in report.removed:
            kept = (
                f" (`git branch {pruned.branch} {pruned.branch_sha[:12]}` restores its branch)"
                if pruned.branch_sha
                else ""
            )
            ctx.out(f"removed {pruned.task}: {pruned.path or 'no worktree'}{kept}")
        if not report.removed and not report.refused:
            ctx.out("nothing to prune")
    for refused in report.refused:
        ctx.warn(f"kept {refused.reason}")
    return EXIT_REFUSED if report.refused else 0
