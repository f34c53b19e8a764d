"""What task worktrees exist: for `worktree list`, `prune` and `doctor`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.create import Repo, branch_sha
from maos_tui.worktrees.names import task_of_branch
from maos_tui.worktrees.names import worktree_root as root_of
from maos_tui.worktrees.porcelain import WorktreeEntry, changed_paths, worktree_entries


@dataclass(frozen=True)
class WorktreeInfo:
    task: str
    branch: str | None
    path: Path
    base: str
    exists: bool  # False: git still lists it, its folder is gone
    size_bytes: int
    uncommitted: list[str] = field(default_factory=list)
    ahead: int = 0  # commits on the branch not in the base
    behind: int = 0  # commits on the base not in the branch

    def as_json(self) -> dict[str, object]:
        return {
            "task": self.task,
            "branch": self.branch,
            "path": str(self.path),
            "base": self.base,
            "exists": self.exists,
            "size_bytes": self.size_bytes,
            "uncommitted": self.uncommitted,
            "ahead": self.ahead,
            "behind": self.behind,
        }


@dataclass(frozen=True)
class Orphans:
    """For doctor: worktrees without a task, tasks whose worktree is gone, stray folders."""

    without_task: list[Path] = field(default_factory=list)
    folder_missing: list[str] = field(default_factory=list)  # task IDs
    not_worktrees: list[Path] = field(default_factory=list)  # folders in the root git lacks

    def as_json(self) -> dict[str, object]:
        return {
            "without_task": [str(p) for p in self.without_task],
            "folder_missing": self.folder_missing,
            "not_worktrees": [str(p) for p in self.not_worktrees],
        }


def task_entries(repo: Repo, worktree_root: str | Path | None = None) -> dict[str, WorktreeEntry]:
    """The linked worktrees that belong to a task, by task ID: under the worktree root with a
    task's folder name, or anywhere with a `maos/TASK-...` branch."""
    root = root_of(repo.root, worktree_root)
    found: dict[str, WorktreeEntry] = {}
    for entry in worktree_entries(repo.root)[1:]:
        task = task_of_branch(entry.branch or "")
        if task is None and entry.path.parent == root:
            task = task_of_branch(f"maos/{entry.path.name}")
        if task is not None:
            found.setdefault(task, entry)
    return found


def disk_usage(path: Path) -> int:
    """Bytes allocated under `path`, symlinks not followed, each file counted once."""
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for item in entries:
                    info = item.stat(follow_symlinks=False)
                    if (info.st_dev, info.st_ino) in seen:
                        continue
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_blocks * 512
                    if item.is_dir(follow_symlinks=False):
                        stack.append(Path(item.path))
        except OSError:
            continue  # a folder vanishing or unreadable mid-walk: count the rest
    return total


def ahead_behind(repo: Repo, base: str, branch: str) -> tuple[int, int]:
    """`git rev-list --left-right --count base...branch`: (ahead, behind)."""
    if branch_sha(repo, base) is None or branch_sha(repo, branch) is None:
        return 0, 0
    counts = gitcmd.out(
        repo.root, "rev-list", "--left-right", "--count", f"refs/heads/{base}...refs/heads/{branch}"
    )
    behind, ahead = (int(n) for n in counts.split())
    return ahead, behind


def list_worktrees(
    repo: Repo,
    *,
    worktree_root: str | Path | None = None,
    bases: Mapping[str, str] | None = None,
    default_base: str | None = None,
) -> list[WorktreeInfo]:
    """Every task worktree, by task ID. `bases` maps task IDs to their recorded base branch;
    others are compared with `default_base` (the main checkout's branch when not given)."""
    fallback = default_base or worktree_entries(repo.root)[0].branch or "HEAD"
    infos = []
    for task, entry in sorted(task_entries(repo, worktree_root).items()):
        base = (bases or {}).get(task, fallback)
        exists = entry.path.is_dir() and not entry.prunable
        ahead, behind = ahead_behind(repo, base, entry.branch) if entry.branch else (0, 0)
        infos.append(
            WorktreeInfo(
                task=task,
                branch=entry.branch,
                path=entry.path,
                base=base,
                exists=exists,
                size_bytes=disk_usage(entry.path) if exists else 0,
                uncommitted=changed_paths(entry.path) if exists else [],
                ahead=ahead,
                behind=behind,
            )
        )
    return infos


def find_orphans(
    repo: Repo, task_ids: Iterable[str], *, worktree_root: str | Path | None = None
) -> Orphans:
    """`task_ids`: the tasks the store says have a worktree (and still exist)."""
    known = set(task_ids)
    entries = task_entries(repo, worktree_root)
    without_task = sorted(e.path for t, e in entries.items() if t not in known)
    missing = sorted(t for t in known if t not in entries or entries[t].prunable)
    root = root_of(repo.root, worktree_root)
    registered = {e.path for e in worktree_entries(repo.root)}
    strays = []
    if root.is_dir():
        strays = sorted(p for p in root.iterdir() if p not in registered)
    return Orphans(without_task, missing, strays)
