"""`init` and WORKING.md's permissions: created user-only, an existing file's mode kept."""

from __future__ import annotations

import contextlib
import os
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
