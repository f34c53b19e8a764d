"""Listing worktrees and pruning them: refusals name what would be lost, and even `force`
never reaches outside the worktree root, the main checkout or its branch."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from maos_tui.worktrees import Repo, Worktree, WorktreeError, commit_all, ensure_worktree
from maos_tui.worktrees.inventory import find_orphans, list_worktrees
from maos_tui.worktrees.merge import merge_task
from maos_tui.worktrees.prune import prune
from maos_tui.worktrees.removal import check_removable
from tests.worktrees.conftest import branches, commit_file, git, head, write


def work(tree: Worktree, rel: str = "a.txt", text: str = "a\n") -> str:
    write(tree.path, rel, text)
    sha = commit_all(tree.path, tree.task_id, "t", agent="coder").sha
    assert sha
    return sha


def test_the_list_shows_size_changes_and_ahead_behind(repo: Repo, repo_path: Path) -> None:
    busy = ensure_worktree(repo, "TASK-1", "Busy")
    idle = ensure_worktree(repo, "TASK-2", "Idle")
    work(busy)
    work(busy, "b.txt")
    write(busy.path, "dirty.txt", "not committed\n")
    commit_file(repo_path, "moved.txt", "base moved\n")
    listed = {w.task: w for w in list_worktrees(repo)}
    assert set(listed) == {"TASK-001", "TASK-002"}
    one, two = listed["TASK-001"], listed["TASK-002"]
    assert (one.branch, one.path, one.base) == (busy.branch, busy.path, "main")
    assert (one.ahead, one.behind, one.uncommitted) == (2, 1, ["dirty.txt"])
    assert (two.ahead, two.behind, two.uncommitted) == (0, 1, [])
    assert one.size_bytes > 0 and two.size_bytes > 0
    assert json.loads(json.dumps([w.as_json() for w in listed.values()]))[0]["task"] == "TASK-001"
    assert idle.path == two.path


def test_prune_removes_a_squash_merged_task_and_its_branch(repo: Repo, repo_path: Path) -> None:
    tree = ensure_worktree(repo, "TASK-1", "Done")
    work(tree)
    merge_task(repo, "TASK-1", "Done", tree.branch, "main", cleanup=False)
    report = prune(repo, ["TASK-1"])
    assert report.refused == []
    assert [(p.task, p.path, p.branch) for p in report.removed] == [
        ("TASK-001", tree.path, tree.branch)
    ]
    assert not tree.path.exists() and tree.branch not in branches(repo_path)


def test_prune_refuses_uncommitted_changes_and_unmerged_commits_naming_them(
    repo: Repo, repo_path: Path
) -> None:
    dirty = ensure_worktree(repo, "TASK-1", "Dirty")
    write(dirty.path, "unsaved.txt", "work\n")
    ahead = ensure_worktree(repo, "TASK-2", "Ahead")
    sha = work(ahead)
    report = prune(repo, ["TASK-1", "TASK-2"])
    assert report.removed == []
    reasons = {r.task: r.reason for r in report.refused}
    assert "uncommitted changes in" in reasons["TASK-001"] and "unsaved.txt" in reasons["TASK-001"]
    assert f"{ahead.branch} has 1 unmerged commit: {sha[:7]}" in reasons["TASK-002"]
    assert (dirty.path / "unsaved.txt").exists() and ahead.branch in branches(repo_path)


def test_force_removes_them_and_says_how_to_restore_the_branch(repo: Repo, repo_path: Path) -> None:
    tree = ensure_worktree(repo, "TASK-1", "Dirty")
    sha = work(tree)
    write(tree.path, "unsaved.txt", "work\n")
    report = prune(repo, ["TASK-1"], force=True)
    assert [(p.path, p.branch, p.branch_sha) for p in report.removed] == [
        (tree.path, tree.branch, sha)
    ]
    assert not tree.path.exists() and tree.branch not in branches(repo_path)
    assert git(repo_path, "cat-file", "-t", sha) == "commit"  # still restorable


def test_a_task_whose_worktree_is_gone_gets_its_merged_branch_pruned(
    repo: Repo, repo_path: Path
) -> None:
    tree = ensure_worktree(repo, "TASK-1", "t")
    git(repo_path, "worktree", "remove", str(tree.path))
    assert [p.branch for p in prune(repo, ["TASK-1"]).removed] == [tree.branch]


def test_force_never_removes_a_worktree_outside_the_root_even_through_a_symlink(
    repo: Repo, repo_path: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "TASK-005"
    git(repo_path, "worktree", "add", "-q", "-b", "maos/TASK-005-x", str(outside))
    write(outside, "precious.txt", "user data\n")
    link = repo_path / ".maos" / "worktrees" / "TASK-005"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    report = prune(repo, ["TASK-5"], force=True)
    assert report.removed == []
    assert "outside the worktree root" in report.refused[0].reason
    assert (outside / "precious.txt").read_text() == "user data\n" and link.is_symlink()
    assert "maos/TASK-005-x" in branches(repo_path)


def test_force_never_touches_the_main_checkout_or_its_branch(repo: Repo, repo_path: Path) -> None:
    tree = ensure_worktree(repo, "TASK-4", "t")
    work(tree)
    git(repo_path, "worktree", "remove", str(tree.path))
    git(repo_path, "checkout", "-q", tree.branch)  # the user took the task's branch over
    write(repo_path, "user.txt", "mine\n")
    report = prune(repo, ["TASK-4"], force=True)
    assert report.removed == [] and "main checkout" in report.refused[0].reason
    assert (repo_path / "user.txt").exists() and tree.branch in branches(repo_path)


@pytest.mark.parametrize(
    "trick",
    [
        "TASK-9/../..",  # back up to the repository itself
        "TASK-9/../../..",  # and above it
        "..",  # the root's parent
        ".",  # the root itself
        "link-to-main",  # a symlink inside the root to the main checkout
        "link-to-git",  # a symlink inside the root to .git
    ],
)
def test_path_tricks_are_never_removable(repo: Repo, repo_path: Path, trick: str) -> None:
    root = repo_path / ".maos" / "worktrees"
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(repo_path, root / "link-to-main")
    os.symlink(repo_path / ".git", root / "link-to-git")
    with pytest.raises(WorktreeError, match="not removed"):
        check_removable(repo, Path(os.path.join(root, trick)), None)


def test_a_bad_task_id_is_refused_not_resolved(repo: Repo) -> None:
    with pytest.raises(WorktreeError, match="invalid task ID"):
        prune(repo, ["../../x"], force=True)


def test_orphans_for_doctor(repo: Repo, repo_path: Path) -> None:
    kept = ensure_worktree(repo, "TASK-1", "t")
    lost_task = ensure_worktree(repo, "TASK-2", "t")
    gone_folder = ensure_worktree(repo, "TASK-3", "t")
    shutil.rmtree(gone_folder.path)
    write(repo_path / ".maos" / "worktrees" / "stray", "x.txt", "x\n")
    orphans = find_orphans(repo, ["TASK-001", "TASK-003", "TASK-004"])
    assert orphans.without_task == [lost_task.path]
    assert orphans.folder_missing == ["TASK-003", "TASK-004"]
    assert orphans.not_worktrees == [repo_path / ".maos" / "worktrees" / "stray"]
    assert kept.path.exists() and head(kept.path)
