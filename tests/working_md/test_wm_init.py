"""`init` and WORKING.md's permissions: created user-only, an existing file's mode kept."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import Cli


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    """The CLI subprocesses inherit it."""
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_working_md_is_created_user_only_even_under_umask_000(cli: Cli, workspace: Path) -> None:
    working = workspace / "WORKING.md"
    with umask(0):
        cli.ok("init")
        assert mode(working) == 0o600
        cli.ok("task", "add", "rewrites the file")
        assert mode(working) == 0o600
        working.unlink()  # recreated by the next pass: still user-only
        cli.ok("task", "add", "after the delete")
        assert "after the delete" in working.read_text()
        assert mode(working) == 0o600


def test_an_existing_files_mode_is_kept(cli: Cli, workspace: Path) -> None:
    working = workspace / "WORKING.md"
    working.write_text("# shared on purpose\n")
    working.chmod(0o644)
    cli.ok("init")
    cli.ok("task", "add", "rewrites the file")
    assert "rewrites the file" in working.read_text()
    assert mode(working) == 0o644


def test_init_never_writes_through_a_dangling_symlink(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere" / "file.md"
    (workspace / "WORKING.md").symlink_to(target)
    cli.ok("init")
    assert not target.exists()
    assert (workspace / "WORKING.md").is_symlink()


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


def test_init_in_a_git_repository_suggests_ignoring_maos(cli: Cli, workspace: Path) -> None:
    git(workspace, "init", "--quiet")
    out = cli.ok("init")
    assert "hint:" in out and "maos-tui init --gitignore" in out, out
    assert not (workspace / ".gitignore").exists()  # only offered, never written unasked
    assert ".maos/" in git(workspace, "status", "--porcelain", "--untracked-files=all")


def test_init_gitignore_appends_one_line_once(cli: Cli, workspace: Path) -> None:
    git(workspace, "init", "--quiet")
    ignore = workspace / ".gitignore"
    ignore.write_text("*.pyc")  # the user's line, without a final newline
    assert "added .maos/ to" in cli.ok("init", "--gitignore")
    assert ignore.read_text() == "*.pyc\n.maos/\n"
    assert ".maos" not in git(workspace, "status", "--porcelain", "--untracked-files=all")
    assert "already ignored" in cli.ok("init", "--gitignore")
    assert "hint:" not in cli.ok("init")
    assert ignore.read_text() == "*.pyc\n.maos/\n"


def test_init_outside_git_says_nothing_about_it(cli: Cli, workspace: Path) -> None:
    outside = {"GIT_CEILING_DIRECTORIES": str(workspace.parent)}
    assert "hint:" not in cli.ok("init", **outside)
    assert "not a git repository" in cli.ok("init", "--gitignore", **outside)
    assert not (workspace / ".gitignore").exists()
