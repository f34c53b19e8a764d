"""The conflict run: base merged into the task's worktree, markers left for the agent, the
run's end-commit concluding the merge, leftover markers named."""

from __future__ import annotations

from pathlib import Path

import pytest

from maos_tui.worktrees import DirtyCheckout, Repo, Worktree, check_merge, commit_all, merge_task
from maos_tui.worktrees.conflict import conflict_markers, start_conflict_run
from tests.worktrees.conftest import commit_file, git, write


def conflicted(repo_path: Path, tree: Worktree) -> None:
    write(tree.path, "src/app.py", "agent version\n")
    commit_all(tree.path, tree.task_id, "t", agent="coder")
    commit_file(repo_path, "src/app.py", "user version\n")


def test_a_conflict_run_resolves_and_the_task_then_merges(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    conflicted(repo_path, task_tree)
    assert start_conflict_run(task_tree.path, "main") == ["src/app.py"]
    assert start_conflict_run(task_tree.path, "main") == ["src/app.py"]  # a retried run
    assert "<<<<<<<" in (task_tree.path / "src/app.py").read_text()
    assert conflict_markers(task_tree.path) == ["src/app.py"]
    write(task_tree.path, "src/app.py", "both versions\n")  # the agent resolves
    assert conflict_markers(task_tree.path) == []
    done = commit_all(task_tree.path, task_tree.task_id, "t", agent="coder")
    assert len(git(task_tree.path, "rev-list", "--parents", "-n1", done.sha or "").split()) == 3
    assert check_merge(repo, task_tree.branch, "main").clean
    merge_task(repo, task_tree.task_id, "t", task_tree.branch, "main")
    assert (repo_path / "src/app.py").read_text() == "both versions\n"


def test_a_base_that_merges_cleanly_needs_no_agent(repo_path: Path, task_tree: Worktree) -> None:
    commit_file(repo_path, "README.md", "moved\n")
    assert start_conflict_run(task_tree.path, "main") == []
    assert (task_tree.path / "README.md").read_text() == "moved\n"


def test_uncommitted_work_blocks_a_conflict_run(repo_path: Path, task_tree: Worktree) -> None:
    conflicted(repo_path, task_tree)
    write(task_tree.path, "wip.txt", "wip\n")
    with pytest.raises(DirtyCheckout, match=r"wip\.txt"):
        start_conflict_run(task_tree.path, "main")
    assert (task_tree.path / "src/app.py").read_text() == "agent version\n"
