"""`worktree prune`: remove finished tasks' worktrees and merged branches, refusing (and
naming) uncommitted changes and unmerged commits unless forced. No `force` removes anything
outside the worktree root, the main checkout, or the branch checked out there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.create import Repo, branch_sha
from maos_tui.worktrees.errors import WorktreeError, name_files
from maos_tui.worktrees.inventory import task_entries
from maos_tui.worktrees.lock import repository_lock
from maos_tui.worktrees.names import BRANCH_PREFIX, canonical_task_id
from maos_tui.worktrees.porcelain import WorktreeEntry, changed_paths, worktree_entries
from maos_tui.worktrees.removal import check_removable, delete_branch, remove_task_worktree


@dataclass(frozen=True)
class Pruned:
    task: str
    path: Path | None  # the removed worktree, None when the task had only a branch
    branch: str | None  # the deleted branch
    branch_sha: str | None  # where it pointed: `git branch <name> <sha>` restores it

    def as_json(self) -> dict[str, object]:
        path = None if self.path is None else str(self.path)
        return {"task": self.task, "path": path, "branch": self.branch, "sha": self.branch_sha}


@dataclass(frozen=True)
class Refused:
    task: str
    reason: str  # one line naming the files or commits

    def as_json(self) -> dict[str, object]:
        return {"task": self.task, "reason": self.reason}


@dataclass(frozen=True)
class PruneReport:
    removed: list[Pruned] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "removed": [p.as_json() for p in self.removed],
            "refused": [r.as_json() for r in self.refused],
        }


def unmerged_commits(repo: Repo, base: str, branch: str) -> list[str]:
    """Short SHAs of the branch's commits whose changes the base lacks; a squash- or
    rebase-merged branch has none, though its commits are not ancestors of the base."""
    listed = gitcmd.out(repo.root, "rev-list", "--abbrev-commit", f"{base}..{branch}", "--")
    if not listed:
        return []
    merged = gitcmd.git(
        repo.root, "merge-tree", "--write-tree", "--no-messages", base, branch, ok=(0, 1)
    )
    base_tree = gitcmd.out(repo.root, "rev-parse", f"{base}^{{tree}}")
    if merged.returncode == 0 and merged.stdout.strip() == base_tree:
        return []
    return listed.splitlines()


def prune(
    repo: Repo,
    task_ids: Iterable[str],
    *,
    force: bool = False,
    worktree_root: str | Path | None = None,
    bases: Mapping[str, str] | None = None,
    default_base: str | None = None,
) -> PruneReport:
    """Remove the worktree and branch of each given finished task (the caller picks done,
    archived and cancelled ones). `bases` maps task IDs to their recorded base branch."""
    tasks = list(dict.fromkeys(canonical_task_id(t) for t in task_ids))
    with repository_lock(repo.common_dir):
        return _prune(repo, tasks, force, worktree_root, bases or {}, default_base)


def _prune(
    repo: Repo,
    tasks: list[str],
    force: bool,
    worktree_root: str | Path | None,
    bases: Mapping[str, str],
    default_base: str | None,
) -> PruneReport:
    main = worktree_entries(repo.root)[0]
    fallback = default_base or main.branch
    entries = task_entries(repo, worktree_root)
    report = PruneReport()
    for task in tasks:
        base = bases.get(task, fallback)
        try:
            pruned = _prune_one(repo, task, entries.get(task), base, main, force, worktree_root)
        except WorktreeError as exc:
            report.refused.append(Refused(task, f"{task}: {exc}"))
            continue
        if pruned is not None:
            report.removed.append(pruned)
    return report


def _prune_one(
    repo: Repo,
    task: str,
    entry: WorktreeEntry | None,
    base: str | None,
    main: WorktreeEntry,
    force: bool,
    worktree_root: str | Path | None,
) -> Pruned | None:
    branch = entry.branch if entry is not None else _task_branch(repo, task)
    if entry is None and branch is None:
        return None
    if branch is not None and branch in (main.branch, base):
        raise WorktreeError(f"{branch} is the main checkout's or the base branch: not removed")
    if entry is not None and not entry.prunable:
        check_removable(repo, entry.path, worktree_root)
    if branch and not base:
        raise WorktreeError("the main checkout is on a detached HEAD: give the base branch")
    uncommitted = changed_paths(entry.path) if entry is not None and not entry.prunable else []
    unmerged = unmerged_commits(repo, base, branch) if branch and base else []
    if not force and (uncommitted or unmerged):
        problems = []
        if uncommitted:
            problems.append(f"uncommitted changes in {entry.path}: {name_files(uncommitted)}")
        if unmerged:
            count = len(unmerged)
            commits = f"{count} unmerged commit{'s' if count != 1 else ''}"
            problems.append(f"{branch} has {commits}: {name_files(unmerged)}")
        raise WorktreeError("; ".join(problems) + " (--force removes them)")
    removed = None
    if entry is not None:
        removed = remove_task_worktree(
            repo, entry, worktree_root=worktree_root, force=bool(uncommitted)
        )
    sha = branch_sha(repo, branch) if branch else None
    deleted = branch if branch and delete_branch(repo, branch, sha) else None
    return Pruned(task, removed, deleted, sha if deleted else None)


def _task_branch(repo: Repo, task: str) -> str | None:
    """A task's branch when its worktree is already gone."""
    listed = gitcmd.out(
        repo.root,
        "for-each-ref",
        "--format=%(refname:short)",
        f"refs/heads/{BRANCH_PREFIX}{task}-*",
        f"refs/heads/{BRANCH_PREFIX}{task}",
    )
    names = listed.splitlines()
    return names[0] if names else None
