"""Removing a task's worktree and branch, with the limits no `force` lifts: only folders under
the worktree root, never the main checkout, never the branch checked out there."""

from __future__ import annotations

import os
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.create import Repo
from maos_tui.worktrees.errors import WorktreeError
from maos_tui.worktrees.names import worktree_root as root_of
from maos_tui.worktrees.porcelain import WorktreeEntry, worktree_entries


def check_removable(repo: Repo, path: Path, worktree_root: str | Path | None) -> None:
    """Raise unless `path` is a folder git knows as a linked worktree, strictly inside the
    worktree root (after resolving symlinks), and neither is nor holds the main checkout."""
    root = root_of(repo.root, worktree_root)
    main = repo.root.resolve()
    real = Path(os.path.realpath(path))
    if path.is_symlink():
        raise WorktreeError(f"{path} goes through a symbolic link: not removed")
    if real == main or main.is_relative_to(real) or real.is_relative_to(repo.common_dir.resolve()):
        raise WorktreeError(f"{path} is or holds the main checkout: not removed")
    if real == root or not real.is_relative_to(root):
        raise WorktreeError(f"{path} is outside the worktree root {root}: not removed")


def remove_task_worktree(
    repo: Repo,
    entry: WorktreeEntry,
    *,
    worktree_root: str | Path | None = None,
    force: bool = False,
) -> Path:
    """`git worktree remove` of a task's worktree (which git refuses when it holds changes,
    unless `force`)."""
    if entry.path == worktree_entries(repo.root)[0].path:
        raise WorktreeError(f"{entry.path} is the main checkout: not removed")
    if not entry.prunable:
        check_removable(repo, entry.path, worktree_root)
    # git refuses a worktree with submodules unless forced; the caller checked it is clean.
    has_modules = (entry.path / ".gitmodules").is_file()
    forcing = ["--force"] * (2 if force else 1 if has_modules else 0)
    if entry.prunable:
        gitcmd.git(repo.root, "worktree", "prune")
    else:
        gitcmd.git(
            repo.root, "worktree", "remove", *forcing, "--", str(entry.path),
            timeout=gitcmd.CHECKOUT_TIMEOUT,
        )  # fmt: skip
    return entry.path


def delete_branch(repo: Repo, branch: str, expected_sha: str | None = None) -> bool:
    """Delete a task's branch unless any checkout still has it (the main one above all) or it
    moved past `expected_sha`; True when deleted."""
    if any(w.branch == branch for w in worktree_entries(repo.root) if not w.prunable):
        return False
    guard = [expected_sha] if expected_sha else []
    done = gitcmd.git(repo.root, "update-ref", "-d", f"refs/heads/{branch}", *guard, ok=(0, 1, 128))
    return done.returncode == 0
