"""The document diff with and without final newlines: every line stays on its own line, and
the diff is one `patch` applies."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from maos_tui.store import Store

CASES = {
    "no final newline on either side": ("a\nb", "a\nc"),
    "newline added": ("a\nb", "a\nb\n"),
    "newline removed": ("a\nb\n", "a\nb"),
    "a carriage return inside a line": ("x\ry\nz", "x\ry\nw"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_diff_keeps_lines_apart_and_applies_with_patch(
    store: Store, tmp_path: Path, case: str
) -> None:
    old, new = CASES[case]
    task = await store.tasks.create("Parser")
    doc = await store.documents.write(task.id, "Design", old, "human")
    await store.documents.write(task.id, "Design", new, "human")
    diff = await store.documents.diff(doc.id, 1, 2)
    body = diff.split("\n")[2:-1]  # after the ---/+++ header
    assert all(line[:1] in (" ", "-", "+", "@", "\\") for line in body), diff
    assert "-b+c" not in diff
    target = tmp_path / "doc.txt"
    target.write_bytes(old.encode())
    subprocess.run(["patch", "--quiet", str(target)], input=diff.encode(), check=True, timeout=30)
    assert target.read_bytes() == new.encode()


def test_cli_doc_diff_marks_the_missing_newline(cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Parser")
    for text in ("a\nb", "a\nc"):
        source = workspace / "version.md"
        source.write_text(text)
        cli.ok("doc", "add", "TASK-001", "--title", "Design", "--file", str(source))
    out = cli.ok("doc", "diff", "DOC-1", "1", "2").splitlines()
    marker = "\\ No newline at end of file"
    assert out[-4:] == ["-b", marker, "+c", marker], out
