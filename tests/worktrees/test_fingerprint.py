"""The worktree's diff as one hash: it moves with every change an agent can make (an edit,
a new file, a deletion, a commit of its own) and with nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from maos_tui.worktrees import WorktreeError
from maos_tui.worktrees.fingerprint import diff_fingerprint

from .conftest import commit_file, git, write


def test_it_moves_with_each_change_and_only_then(repo_path: Path) -> None:
    seen = [diff_fingerprint(repo_path)]

    def changed() -> bool:
        now = diff_fingerprint(repo_path)
        moved = now not in seen
        seen.append(now)
        return moved

    assert not changed()  # nothing happened
    (repo_path / "src" / "app.py").read_text()  # reading is no change
    write(repo_path, "build/out.o", "ignored output")
    assert not changed()
    write(repo_path, "src/app.py", "edited\n")
    assert changed()
    write(repo_path, "src/app.py", "edited again\n")  # the same file, other content
    assert changed()
    write(repo_path, "notes/new.txt", "a")  # untracked, in a new folder
    assert changed()
    write(repo_path, "notes/new.txt", "b")  # an untracked file's content counts too
    assert changed()
    (repo_path / "src" / "util.py").unlink()
    assert changed()
    git(repo_path, "add", "-A")  # staging is no change to the files
    assert not changed()
    commit_file(repo_path, "other.txt", "x")  # a commit of the agent's own
    assert changed()


def test_undoing_a_change_gives_the_same_fingerprint(repo_path: Path) -> None:
    before = diff_fingerprint(repo_path)
    original = (repo_path / "README.md").read_text()
    write(repo_path, "README.md", "changed\n")
    assert diff_fingerprint(repo_path) != before
    write(repo_path, "README.md", original)
    assert diff_fingerprint(repo_path) == before


def test_a_folder_that_is_no_repository_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorktreeError):
        diff_fingerprint(tmp_path)
