"""A command agent's whole life on the git layer, with the stand-in coder: a worktree, the
MAOS_* variables, the run-end commit, review diff and merge; a retry continues its work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from maos_tui.worktrees import (
    Repo,
    Worktree,
    commit_all,
    diff_stat,
    ensure_worktree,
    merge_task,
)
from tests.worktrees.conftest import git, head

CODER = Path(__file__).parents[1] / "fakes" / "agents" / "coder.py"


def run_coder(
    tree: Worktree, *args: str, told: Worktree | None = None
) -> subprocess.CompletedProcess[str]:
    """The coder in `tree`, told it works in `told` (the same by default)."""
    env = {**os.environ, **(told or tree).agent_env()}
    return subprocess.run(
        [sys.executable, str(CODER), *args], cwd=tree.path, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def test_edit_review_and_merge(repo: Repo, repo_path: Path) -> None:
    tree = ensure_worktree(repo, "TASK-5", "Greet the user")
    ran = run_coder(tree, "edit", "hello.txt", "hello")
    assert ran.returncode == 0, ran.stderr
    assert not (repo_path / "hello.txt").exists()  # the main checkout is untouched
    done = commit_all(tree.path, "TASK-5", "Greet the user", agent="coder", summary="greets")
    assert done.files == ["hello.txt"]
    assert [s.path for s in diff_stat(repo_path, "main", tree.branch)] == ["hello.txt"]
    merged = merge_task(repo, "TASK-5", "Greet the user", tree.branch, "main", agent="coder")
    assert merged.commit == head(repo_path) and (repo_path / "hello.txt").read_text() == "hello\n"


def test_a_retry_continues_in_the_same_worktree(repo: Repo, repo_path: Path) -> None:
    first = ensure_worktree(repo, "TASK-5", "Two steps")
    assert run_coder(first, "commit", "step1.txt", "one").returncode == 0
    retry = ensure_worktree(repo, "TASK-5", "Two steps", base=first.base, branch=first.branch)
    assert run_coder(retry, "edit", "step2.txt", "two").returncode == 0
    commit_all(retry.path, "TASK-5", "Two steps", agent="coder")
    assert git(repo_path, "diff", "--name-only", f"main...{first.branch}").splitlines() == [
        "step1.txt",
        "step2.txt",
    ]


def test_a_run_that_changes_nothing_says_so(repo: Repo) -> None:
    tree = ensure_worktree(repo, "TASK-6", "Look only")
    assert run_coder(tree, "nothing").returncode == 0
    assert commit_all(tree.path, "TASK-6", "Look only", agent="coder").summary() == "no changes"


def test_the_stand_in_refuses_wrong_variables(repo: Repo, tmp_path: Path) -> None:
    tree = ensure_worktree(repo, "TASK-7", "t")
    wrong = Worktree(tree.task_id, tmp_path, tree.branch, tree.base, False)
    ran = run_coder(tree, "nothing", told=wrong)
    assert ran.returncode == 2 and "MAOS_WORKTREE" in ran.stderr
