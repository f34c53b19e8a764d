"""Finding the repository and base, and creating or reusing a task's worktree."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from maos_tui.worktrees import (
    Base,
    IsolationUnavailable,
    Repo,
    Worktree,
    WorktreeError,
    commit_all,
    ensure_worktree,
    find_repo,
    isolation_available,
    resolve_base,
)
from tests.worktrees.conftest import branches, commit_file, git, head, write


def test_a_new_task_gets_its_branch_and_worktree_cut_from_the_checked_out_branch(
    repo: Repo, repo_path: Path
) -> None:
    tree = ensure_worktree(repo, "TASK-007", "Add a feature")
    assert tree.created
    assert tree.path == repo_path / ".maos" / "worktrees" / "TASK-007"
    assert tree.branch == "maos/TASK-007-add-a-feature"
    assert tree.base == Base("main", head(repo_path))
    assert git(tree.path, "symbolic-ref", "--short", "HEAD") == tree.branch
    assert (tree.path / "src" / "app.py").read_text().startswith("line 1\n")
    # The main checkout does not see the worktrees as something to commit.
    assert git(repo_path, "status", "--porcelain") == ""


def test_found_from_inside_a_worktree_the_repo_is_the_main_checkout(
    repo: Repo, task_tree: Worktree, repo_path: Path
) -> None:
    assert find_repo(task_tree.path / "src").root == repo_path
    assert find_repo(repo_path / "src") == repo
    # A workspace in a subfolder of the repository works in that subfolder of the worktree.
    assert task_tree.workdir(repo, repo_path / "src") == task_tree.path / "src"
    assert task_tree.workdir(repo, repo_path) == task_tree.path


def test_retries_reuse_the_worktree_and_keep_its_work(repo: Repo, task_tree: Worktree) -> None:
    write(task_tree.path, "wip.txt", "half done\n")
    again = ensure_worktree(repo, "TASK-7", "Renamed meanwhile", branch=task_tree.branch)
    assert not again.created
    assert (again.path, again.branch) == (task_tree.path, task_tree.branch)
    assert (again.path / "wip.txt").read_text() == "half done\n"


def test_a_run_killed_mid_commit_leaves_a_lock_the_next_run_clears(
    repo: Repo, task_tree: Worktree
) -> None:
    write(task_tree.path, "work.txt", "not committed when the scheduler died\n")
    lock = Path(
        git(task_tree.path, "rev-parse", "--path-format=absolute", "--git-path", "index.lock")
    )
    lock.write_text("")
    fresh = ensure_worktree(repo, "TASK-007", "Add a feature")
    assert lock.exists()  # a fresh lock may belong to a git command still running
    os.utime(lock, (time.time() - 600, time.time() - 600))
    again = ensure_worktree(repo, "TASK-007", "Add a feature")
    assert not lock.exists() and fresh.path == again.path
    done = commit_all(again.path, "TASK-007", "Add a feature", agent="coder")
    assert done.files == ["work.txt"]


def test_reuse_after_the_base_moved_keeps_the_recorded_base(
    repo: Repo, task_tree: Worktree, repo_path: Path
) -> None:
    commit_file(repo_path, "other.txt", "moved\n")
    again = ensure_worktree(repo, "TASK-007", "Add a feature")
    assert again.base == task_tree.base  # where the branch left the base, not its new tip
    recorded = ensure_worktree(repo, "TASK-007", "x", base=task_tree.base, branch=task_tree.branch)
    assert recorded.base == task_tree.base


def test_a_subtask_gets_its_own_worktree(repo: Repo, task_tree: Worktree) -> None:
    sub = ensure_worktree(repo, "TASK-008", "Part of the feature")
    assert sub.created and sub.path != task_tree.path and sub.branch != task_tree.branch


def test_a_worktree_deleted_by_hand_is_recreated_from_its_branch(
    repo: Repo, task_tree: Worktree
) -> None:
    commit_file(task_tree.path, "kept.txt", "committed work\n")
    git(task_tree.path, "rm", "-q", "--cached", "README.md")  # make the tree messy first
    shutil.rmtree(task_tree.path)
    again = ensure_worktree(repo, "TASK-007", "Add a feature")
    assert not again.created  # the branch existed: nothing new was cut
    assert (again.path / "kept.txt").read_text() == "committed work\n"


def test_a_configured_base_branch_and_worktree_root(
    repo: Repo, repo_path: Path, tmp_path: Path
) -> None:
    git(repo_path, "branch", "develop", "HEAD~1")
    base = resolve_base(repo, "develop")
    tree = ensure_worktree(repo, "TASK-9", "t", base=base, worktree_root=str(tmp_path / "trees"))
    assert tree.path == tmp_path / "trees" / "TASK-009"
    assert head(tree.path) == head(repo_path, "develop")
    assert tree.agent_env() == {
        "MAOS_WORKTREE": str(tree.path),
        "MAOS_BRANCH": "maos/TASK-009-t",
        "MAOS_BASE": "develop",
    }


def test_bad_bases_are_one_line_errors(repo: Repo, repo_path: Path) -> None:
    with pytest.raises(WorktreeError, match="base branch 'nope' does not exist"):
        resolve_base(repo, "nope")
    git(repo_path, "checkout", "-q", "--detach")
    with pytest.raises(WorktreeError, match=r"detached HEAD.*base_branch"):
        ensure_worktree(repo, "TASK-1", "t")


def test_a_folder_in_the_way_is_not_overwritten(repo: Repo, repo_path: Path) -> None:
    write(repo_path / ".maos" / "worktrees" / "TASK-001", "mine.txt", "user data\n")
    with pytest.raises(WorktreeError, match="exists and is not a worktree"):
        ensure_worktree(repo, "TASK-1", "t")
    assert (repo_path / ".maos/worktrees/TASK-001/mine.txt").read_text() == "user data\n"
    assert "maos/TASK-001-t" not in branches(repo_path)


def test_isolation_needs_a_repository_with_a_commit(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not isolation_available(plain)
    with pytest.raises(IsolationUnavailable, match="not inside a git repository"):
        find_repo(plain)
    git(plain, "init", "-q")
    with pytest.raises(IsolationUnavailable, match="no commit yet"):
        find_repo(plain)
    commit_file(plain, "a.txt", "a\n")
    assert isolation_available(plain)
