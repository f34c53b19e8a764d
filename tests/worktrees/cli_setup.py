"""A workspace that is a git repository, and tasks given a worktree and a committed change the
way the scheduler gives them (git layer, then the store's TaskBranchService), for the CLI tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.worktrees import commit_all, diff_stat, ensure_worktree, find_repo, resolve_base
from tests.worktrees.conftest import git, make_repo, write


def repo_workspace(workspace: Path) -> Path:
    """`workspace` made a repository (the CLI fixture's folder), `.maos/` ignored."""
    workspace.rmdir()
    make_repo(workspace)
    write(workspace, ".gitignore", ".env\n*.local.toml\nbuild/\n.maos/\n")
    git(workspace, "commit", "-q", "-am", "ignore .maos")
    return workspace


async def _task_with_change(
    workspace: Path, title: str, files: dict[str, str], commit: bool
) -> str:
    store = await Store.open(f"sqlite+aiosqlite:///{workspace / '.maos' / 'state.db'}")
    try:
        task = await store.tasks.create(title)
        repo = find_repo(workspace)
        tree = ensure_worktree(repo, task.id, title, base=resolve_base(repo))
        await store.branches.created(
            task.id, branch=tree.branch, base_branch=tree.base.branch, base_sha=tree.base.sha,
            path=str(tree.path), actor="coder",
        )  # fmt: skip
        for rel, text in files.items():
            write(tree.path, rel, text)
        if commit:
            done = commit_all(tree.path, task.id, title, agent="coder", summary="did it")
            changed = bool(diff_stat(repo.root, tree.base.branch, tree.branch))
            await store.branches.committed(
                task.id, changed=done.changed, commit=done.sha, has_changes=changed, actor="coder"
            )
        await store.tasks.move(task.id, TaskStatus.REVIEW)
        return task.id
    finally:
        await store.close()


def task_with_change(
    workspace: Path, title: str, files: dict[str, str], *, commit: bool = True
) -> str:
    return asyncio.run(_task_with_change(workspace, title, files, commit))
