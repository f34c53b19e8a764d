"""Branch names and worktree paths from titles nobody checked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from maos_tui.worktrees import WorktreeError, branch_name, worktree_path
from maos_tui.worktrees.names import task_of_branch

HOSTILE_TITLES = [
    "Fix the login bug",
    "Ünïcödé ☃ 日本語 title",
    "日本語だけ",
    "  spaces   everywhere  ",
    "a..b",
    "~^:?*[\\ refs",
    "-leading dash",
    "ends with .lock",
    "name.lock",
    "@{upstream}",
    "x/../../etc/passwd",
    "trailing dot.",
    "/slashes//double/",
    "tab\tnew\nline\x00nul\x7f",
    "",
    "@",
    "a" * 500,
    "word " * 100,
]


def valid_branch(name: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True)
    full = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True)
    return done.returncode == 0 and full.returncode == 0


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_hostile_title_gives_a_valid_short_branch(title: str) -> None:
    name = branch_name("TASK-007", title)
    assert name.startswith("maos/TASK-007-")
    assert valid_branch(name), name
    assert len(name) <= len("maos/TASK-007-") + 40
    assert task_of_branch(name) == "TASK-007"


def test_the_slug_keeps_the_words_of_a_plain_title() -> None:
    assert branch_name("task-7", "Fix the Login bug!") == "maos/TASK-007-fix-the-login-bug"
    assert branch_name("7", "Crème brûlée") == "maos/TASK-007-creme-brulee"
    assert branch_name("TASK-7", "~^:?*") == "maos/TASK-007-task"


def test_a_bad_task_id_is_refused_in_one_line() -> None:
    for bad in ("../TASK-1", "TASK-1/..", "", "TASK-x"):
        with pytest.raises(WorktreeError, match="invalid task ID") as caught:
            branch_name(bad, "t")
        assert "\n" not in str(caught.value)


def test_the_worktree_path_is_under_maos_or_the_configured_root(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    assert worktree_path(repo, "task-7") == repo / ".maos" / "worktrees" / "TASK-007"
    assert worktree_path(repo, "7", "../trees") == tmp_path / "trees" / "TASK-007"
    outside = tmp_path / "elsewhere"
    assert worktree_path(repo, "7", str(outside)) == outside / "TASK-007"
