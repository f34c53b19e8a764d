"""The change under review: base...branch, new files included, counts per file, bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maos_tui.worktrees import Worktree, WorktreeError, commit_all, diff_stat, diff_text
from maos_tui.worktrees.diff import FileStat, file_offsets, iter_diff
from tests.worktrees.conftest import commit_file, git, write


def test_the_diff_is_base_to_branch_with_new_files_and_counts(
    repo_path: Path, task_tree: Worktree
) -> None:
    write(task_tree.path, "src/app.py", "".join(f"line {i}\n" for i in range(1, 20)) + "changed\n")
    write(task_tree.path, "brand/new.py", "a\nb\n")
    (task_tree.path / "logo.bin").write_bytes(b"\0\1\2")
    git(task_tree.path, "mv", "src/util.py", "src/helpers.py")
    commit_all(task_tree.path, "TASK-7", "t", agent="coder")
    commit_file(repo_path, "README.md", "the base moved: not part of the change\n")
    stats = diff_stat(repo_path, "main", task_tree.branch)
    assert stats == [
        FileStat("brand/new.py", 2, 0),
        FileStat("logo.bin", None, None),
        FileStat("src/app.py", 1, 1),
        FileStat("src/helpers.py", 0, 0, old_path="src/util.py"),
    ]
    shown = diff_text(repo_path, "main", task_tree.branch)
    assert not shown.truncated and "+changed" in shown.text and "README" not in shown.text
    assert "new file mode" in shown.text and "rename from src/util.py" in shown.text
    lines = shown.text.splitlines()
    starts = file_offsets(lines)
    assert len(starts) == len(stats)
    for start, stat in zip(starts, stats, strict=True):
        assert lines[start].endswith(f" b/{stat.path}")
    as_json = json.loads(json.dumps(shown.as_json()))
    assert (as_json["added"], as_json["removed"], len(as_json["files"])) == (3, 1, 4)


def test_a_large_diff_is_cut_at_the_cap_with_a_note(repo_path: Path, task_tree: Worktree) -> None:
    write(task_tree.path, "big.txt", "".join(f"row {i}\n" for i in range(20000)))
    commit_all(task_tree.path, "TASK-7", "t", agent="coder")
    lines = list(iter_diff(repo_path, "main", task_tree.branch, cap=10_000))
    assert lines[-1].startswith("[diff truncated at 10000 bytes")
    assert sum(len(line) + 1 for line in lines[:-1]) <= 10_000
    shown = diff_text(repo_path, "main", task_tree.branch, cap=10_000)
    assert shown.truncated and shown.files == [FileStat("big.txt", 20000, 0)]


def test_an_unknown_branch_is_a_one_line_error(repo_path: Path) -> None:
    with pytest.raises(WorktreeError, match="no branch or commit named 'maos/TASK-404-x'"):
        diff_stat(repo_path, "main", "maos/TASK-404-x")
