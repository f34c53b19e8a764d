"""`maos-tui doctor`'s worktree check: the disk the tasks' worktrees use, and worktrees
whose task, or tasks whose worktree folder, no longer exists. Read-only, like doctor."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from maos_tui.commands.worktrees import size

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.commands.doctor import Finding

CHECK = "worktrees"


async def check_worktrees(ctx: Context) -> list[Finding]:
    """Nothing to say outside a git repository (tasks then run in the folder itself)."""
    from maos_tui.commands.doctor import OK, WARNING, Finding
    from maos_tui.store import Store
    from maos_tui.worktrees import WorktreeError, find_orphans, find_repo, list_worktrees

    try:
        repo = find_repo(ctx.workspace.root)
    except WorktreeError:
        return []
    settings = ctx.config.workspace_settings()
    store = await Store.open(ctx.db_url)
    try:
        tasks = await store.branches.with_branches()
    finally:
        await store.close()
    bases = {t.id: t.branch.base for t in tasks if t.branch is not None}
    holding = [t.id for t in tasks if t.branch is not None and t.branch.worktree]
    root = settings.worktree_root
    try:
        infos = await asyncio.to_thread(
            lambda: list_worktrees(repo, worktree_root=root, bases=bases)
        )
        orphans = await asyncio.to_thread(lambda: find_orphans(repo, holding, worktree_root=root))
    except WorktreeError as exc:
        return [Finding(CHECK, WARNING, f"cannot list the worktrees: {exc}")]
    present = [info for info in infos if info.exists]
    used = sum(info.size_bytes for info in present)
    count = len(present)
    findings = [
        Finding(
            CHECK,
            OK,
            f"{count} task worktree{'s' if count != 1 else ''}, {size(used)} on disk "
            "(`maos-tui worktree prune` removes those of finished tasks)",
        )
    ]
    problems = [
        (orphans.without_task, "worktrees with no task"),
        (orphans.folder_missing, "tasks whose worktree folder is gone"),
        (orphans.not_worktrees, "folders in the worktree root that git does not know"),
    ]
    for found, what in problems:
        if found:
            names = ", ".join(str(f) for f in found[:5]) + (" ..." if len(found) > 5 else "")
            findings.append(Finding(CHECK, WARNING, f"{what}: {names}"))
    return findings
