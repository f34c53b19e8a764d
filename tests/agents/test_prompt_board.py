"""The board an LLM agent's prompt quotes is read as WORKING.md is everywhere else: only a
regular file, and bounded. A FIFO or /dev/zero in its place must not stall the scheduler's
event loop, which builds the prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from maos_tui.agents.context import working_md_excerpt

PROBE = (
    "import sys; from pathlib import Path;"
    "from maos_tui.agents.context import working_md_excerpt;"
    "print(repr(working_md_excerpt(Path(sys.argv[1]))))"
)


def excerpt_in_a_child(root: Path) -> str:
    # A child process: a blocking open would hang a thread of this one for good.
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_working_md_that_is_not_a_regular_file_is_left_out(tmp_path: Path, kind: str) -> None:
    working = tmp_path / "WORKING.md"
    if kind == "fifo":
        os.mkfifo(working)
    elif kind == "dev-zero":
        working.symlink_to("/dev/zero")
    else:
        working.mkdir()
    assert excerpt_in_a_child(tmp_path) == "''"


def test_a_regular_working_md_is_quoted_and_cut_to_the_limit(tmp_path: Path) -> None:
    (tmp_path / "WORKING.md").write_text("# Board\n" + "x" * 50, encoding="utf-8")
    assert working_md_excerpt(tmp_path) == "# Board\n" + "x" * 50
    cut = working_md_excerpt(tmp_path, limit=10)
    assert cut.startswith("# Board\nxx") and "48 more characters" in cut
