"""The end of a run: everything left uncommitted becomes a commit by the agent."""

from __future__ import annotations

from pathlib import Path

from maos_tui.worktrees import Worktree, agent_author, commit_all
from tests.worktrees.conftest import commit_file, git, head, write


def test_everything_uncommitted_is_committed_by_the_agent(task_tree: Worktree) -> None:
    before = head(task_tree.path)
    write(task_tree.path, "src/app.py", "changed\n")
    write(task_tree.path, "new/module.py", "x = 1\n")
    (task_tree.path / "README.md").unlink()
    git(task_tree.path, "mv", "src/util.py", "src/helpers.py")  # a staged rename: both names
    write(task_tree.path, ".env", "SECRET=1\n")  # ignored: never committed
    done = commit_all(
        task_tree.path, "task-7", "Add  a\nfeature", agent="coder", summary="Did the thing."
    )
    assert done.changed and done.summary().startswith("committed 5 files as ")
    assert done.sha == head(task_tree.path) != before
    assert git(task_tree.path, "log", "-1", "--format=%an <%ae>") == "coder <coder@maos.local>"
    assert (
        git(task_tree.path, "log", "-1", "--format=%B")
        == "TASK-007: Add a feature\n\nDid the thing."
    )
    assert git(
        task_tree.path, "show", "--no-renames", "--name-only", "--format=", "HEAD"
    ).splitlines() == [
        "README.md",
        "new/module.py",
        "src/app.py",
        "src/helpers.py",
        "src/util.py",
    ]
    assert git(task_tree.path, "status", "--porcelain") == ""


def test_a_run_that_changed_nothing_says_no_changes(task_tree: Worktree) -> None:
    commit_file(task_tree.path, "by_agent.txt", "the agent committed itself\n")
    before = head(task_tree.path)
    done = commit_all(task_tree.path, "TASK-007", "t", agent="coder")
    assert not done.changed and done.summary() == "no changes"
    assert head(task_tree.path) == before


def test_a_failing_pre_commit_hook_does_not_leave_work_uncommitted(
    task_tree: Worktree, repo_path: Path
) -> None:
    hook = repo_path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    write(task_tree.path, "a.txt", "a\n")
    assert commit_all(task_tree.path, "TASK-007", "t", agent="coder").changed


def test_without_a_git_identity_the_commit_still_happens(
    task_tree: Worktree, repo_path: Path, tmp_path: Path, monkeypatch
) -> None:
    git(repo_path, "config", "--unset", "user.email")
    git(repo_path, "config", "--unset", "user.name")
    monkeypatch.setenv("HOME", str(tmp_path))  # no global identity either
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    write(task_tree.path, "a.txt", "a\n")
    done = commit_all(task_tree.path, "TASK-007", "t", agent="coder")
    assert git(task_tree.path, "log", "-1", "--format=%an|%cn") == "coder|maos-tui"
    assert done.changed


def test_an_agent_name_becomes_a_safe_author() -> None:
    assert agent_author("coder") == "coder <coder@maos.local>"
    assert agent_author("evil <x@y>\n") == "evil x@y <evil-x-y@maos.local>"
    assert agent_author("") == "agent <agent@maos.local>"
