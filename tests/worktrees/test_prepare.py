"""Before the first run: ignored files copied in, submodules initialised, setup run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from maos_tui.worktrees import (
    Repo,
    SetupFailed,
    Worktree,
    WorktreeError,
    commit_all,
    ensure_worktree,
    find_repo,
    merge_task,
    prepare_worktree,
)
from tests.worktrees.conftest import commit_file, git, make_repo, write


def test_only_ignored_files_matching_the_globs_are_copied(
    repo: Repo, repo_path: Path, task_tree: Worktree, tmp_path: Path
) -> None:
    write(repo_path, ".env", "SECRET=1\n")
    write(repo_path, "config/app.local.toml", "local = true\n")
    write(repo_path, "config/deep/x.local.toml", "not matched by config/*\n")
    write(repo_path, "README.md", "the user's uncommitted edit of a tracked file\n")
    write(repo_path, "notes.txt", "untracked but not ignored\n")
    write(tmp_path, "outside.env", "outside\n")
    write(repo_path, "build/out.bin", "built\n")
    os.symlink(tmp_path / "outside.env", repo_path / "build" / "link.env")
    copy = [".env", "config/*.local.toml", "README.md", "notes.txt", "build/**"]
    prepared = prepare_worktree(repo, task_tree, copy=copy)
    assert sorted(prepared.copied) == [".env", "build/out.bin", "config/app.local.toml"]
    assert (task_tree.path / ".env").read_text() == "SECRET=1\n"
    assert (task_tree.path / "README.md").read_text() == "hello\n"
    assert not (task_tree.path / "notes.txt").exists()
    assert not (task_tree.path / "build" / "link.env").exists()
    assert not (task_tree.path / "config/deep").exists()
    # Copied files stay ignored: the run-end commit never picks them up.
    assert commit_all(task_tree.path, "TASK-7", "t", agent="coder").sha is None


def test_a_copy_never_writes_through_a_symlink_of_the_branch(
    repo: Repo, repo_path: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, repo_path / "config")
    git(repo_path, "add", "config")
    git(repo_path, "commit", "-q", "-m", "config is a symlink on this branch")
    git(repo_path, "rm", "-q", "--cached", "config")
    (repo_path / "config").unlink()
    git(repo_path, "commit", "-q", "-m", "not on main any more")
    write(repo_path, "config/app.local.toml", "local\n")
    tree = ensure_worktree(repo, "TASK-2", "t")
    git(tree.path, "checkout", "-q", "HEAD~1", "--", "config")  # the branch brings it back
    with pytest.raises(WorktreeError, match="symbolic link"):
        prepare_worktree(repo, tree, copy=["config/*.local.toml"])
    assert list(outside.iterdir()) == []


def test_a_copy_pattern_leaving_the_repository_is_refused(repo: Repo, task_tree: Worktree) -> None:
    for bad in ("../secrets/*", "/etc/passwd", ":(top)x", ""):
        with pytest.raises(WorktreeError, match="must be a glob relative to the repository"):
            prepare_worktree(repo, task_tree, copy=[bad])


@pytest.fixture
def file_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    """Git refuses local-path submodules by default since 2.38.1; tests use local ones."""
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "protocol.file.allow")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "always")


def test_a_repository_with_a_submodule(file_protocol: None, tmp_path: Path) -> None:
    library = make_repo(tmp_path / "library")
    main = make_repo(tmp_path / "app")
    git(main, "submodule", "add", "-q", str(library), "vendor/library")
    git(main, "commit", "-q", "-m", "add the submodule")
    repo = find_repo(main)
    tree = ensure_worktree(repo, "TASK-1", "Use the library")
    prepared = prepare_worktree(repo, tree)
    assert prepared.submodules
    assert (tree.path / "vendor/library/src/util.py").read_text().startswith("def util")
    write(tree.path, "uses.py", "import vendor\n")
    commit_all(tree.path, "TASK-1", "Use the library", agent="coder")
    merged = merge_task(repo, "TASK-1", "Use the library", tree.branch, "main")
    assert merged.removed_worktree == tree.path and not tree.path.exists()
    assert (main / "uses.py").exists()


def test_setup_runs_in_the_worktree_with_the_maos_variables(
    repo: Repo, task_tree: Worktree
) -> None:
    code = "import os; print(os.getcwd(), os.environ['MAOS_BRANCH'], os.environ['MAOS_BASE'])"
    prepared = prepare_worktree(repo, task_tree, setup=[sys.executable, "-c", code])
    assert prepared.setup is not None and prepared.setup.ok
    assert prepared.setup.output.split() == [str(task_tree.path), task_tree.branch, "main"]


def test_a_failed_setup_fails_with_its_output_tail(repo: Repo, task_tree: Worktree) -> None:
    code = (
        "import sys; [print('step', i) for i in range(100)]; sys.exit('npm ERR! missing lockfile')"
    )
    with pytest.raises(SetupFailed) as caught:
        prepare_worktree(repo, task_tree, setup=[sys.executable, "-c", code])
    message = str(caught.value)
    assert "failed (exit 1): npm ERR! missing lockfile" in message and "\n" not in message
    assert caught.value.ran.tail(3).splitlines() == [
        "step 98",
        "step 99",
        "npm ERR! missing lockfile",
    ]
    with pytest.raises(WorktreeError, match="command not found"):
        prepare_worktree(repo, task_tree, setup=["no-such-program-xyz"])


def test_reuse_does_not_copy_over_the_agents_files(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    write(repo_path, ".env", "original\n")
    prepare_worktree(repo, task_tree, copy=[".env"])
    write(task_tree.path, ".env", "changed by the agent\n")
    commit_file(repo_path, "x.txt", "x\n")
    assert prepare_worktree(repo, task_tree, copy=[".env"]).copied == []
    assert (task_tree.path / ".env").read_text() == "changed by the agent\n"
