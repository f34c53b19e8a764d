"""Fault 8: many writers at once (see README.md in this folder).

`maos-tui run` works the board while 8 processes add 480 tasks and assign, cancel or
move most of them through the real CLI code path (`maos_tui.cli.main`, called in a loop
so interpreter start-up does not dominate), and an "editor" saves WORKING.md every 50 ms
for 15 s, each time with a new hand-written task.
Afterwards every CLI-added task exists, every saved hand edit became exactly one task (or
is still in the file, reported), and WORKING.md shows exactly the store's live tasks.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from maos_tui.working_md.parse import parse_working
from tests.conftest import Cli
from tests.reliability.helpers import integrity

WRITERS = 8
TASKS_PER_WRITER = 60
EDIT_SECONDS = 15.0
# A writer that stalls this long is stuck, not slow (busy_timeout waits are at most 60 s).
STALL = 90.0
# The scenario is a few minutes on a machine loaded to 10.
pytestmark = pytest.mark.timeout(900)

WRITER = """\
import contextlib, io, sys
from maos_tui.cli import main
workspace, me, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

def cli(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--workspace", workspace, *args]) == 0, args
    return out.getvalue().strip()

for n in range(count):
    task = cli("task", "add", f"writer {me} task {n}")
    print(task, file=sys.__stdout__, flush=True)
    if n % 4 == 1:
        cli("task", "assign", task, "worker")
    elif n % 4 == 2:
        cli("task", "cancel", task)
    elif n % 4 == 3:
        cli("task", "move", task, "review")
"""

EDITOR = """\
import os, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "### INBOX\\n" in text:
        text = text.replace("### INBOX\\n", f"### INBOX\\n- hand edit {n}\\n", 1)
        tmp = path + ".editor-tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)  # how most editors save
        print(n, flush=True)
        n += 1
    time.sleep(0.05)
"""


@dataclass
class Outcome:
    workspace: Path
    added: list[str]
    edits: list[int]
    rows: list[tuple[str, str, str, int]]  # id, title, status, archived
    text: str  # WORKING.md at the end


def wait_while_progressing(
    writers: list[subprocess.Popen[bytes]],
    outputs: list[Path],
    run: subprocess.Popen[str],
    run_log: Path,
) -> None:
    """Until every writer has ended; fail only when none adds a task for STALL seconds, so
    a loaded machine makes the test slower, not red."""
    added, moved_at = 0, time.monotonic()
    while any(writer.poll() is None for writer in writers):
        now = sum(len(output.read_text().split()) for output in outputs)
        if now != added:
            added, moved_at = now, time.monotonic()
        if time.monotonic() - moved_at > STALL:
            raise AssertionError(
                f"no writer added a task for {STALL:g} s ({added} added); run exit code: "
                f"{run.poll()}; run's stderr ends:\n{run_log.read_text()[-3000:]}"
            )
        time.sleep(0.2)


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """Run the whole scenario once; the tests below each check one promise about it."""
    root = tmp_path_factory.mktemp("crowd")
    workspace = root / "ws"
    workspace.mkdir()
    cli = Cli(workspace)
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_text("[scheduler]\nretry_base_seconds = 0.1\n")
    cli.ok("agent", "add", "worker", "--max-concurrent", "2",
           "--command", f"{sys.executable} -c 'print(\"worked\")'")  # fmt: skip
    env = cli.env()
    # run's stderr goes to a file: a pipe read only at the end could fill and stall it.
    run_log = root / "run.stderr"
    with run_log.open("w") as run_stderr:
        run = subprocess.Popen(cli.argv("run"), env=env, stdout=subprocess.DEVNULL,
                               stderr=run_stderr, text=True)  # fmt: skip
    try:
        editor = subprocess.Popen(
            [sys.executable, "-c", EDITOR, str(workspace / "WORKING.md"), str(EDIT_SECONDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Each writer's output goes to files, read while they run (see run_log).
        outputs = [root / f"writer-{i}.out" for i in range(WRITERS)]
        writers = []
        for i, output in enumerate(outputs):
            with output.open("w") as stdout, output.with_suffix(".err").open("w") as stderr:
                writers.append(subprocess.Popen(
                    [sys.executable, "-c", WRITER, str(workspace), str(i), str(TASKS_PER_WRITER)],
                    env=env, stdout=stdout, stderr=stderr,
                ))  # fmt: skip
        try:
            wait_while_progressing(writers, outputs, run, run_log)
        finally:
            for writer in writers:
                writer.kill()
        added, warnings = [], ""
        for writer, output in zip(writers, outputs, strict=True):
            err = output.with_suffix(".err").read_text()
            assert writer.wait(timeout=60) == 0, err[-3000:]
            added += output.read_text().split()
            warnings += err
        out, err = editor.communicate(timeout=60)
        assert editor.returncode == 0, err
        edits = [int(n) for n in out.split()]
        run.send_signal(signal.SIGTERM)  # a clean stop leaves the file current
        run.wait(timeout=60)
        run_err = run_log.read_text()
        assert run.returncode == 0, run_err[-3000:]
    finally:
        run.kill()
        run.wait()
    assert "Traceback" not in warnings + run_err
    settle = cli("working", "sync")  # one last pass picks up an edit saved at the very end
    assert settle.returncode == 0, settle.stderr
    db = workspace / ".maos" / "state.db"
    assert integrity(db) == ["ok"]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT id, title, status, archived FROM tasks").fetchall()
    finally:
        con.close()
    text = (workspace / "WORKING.md").read_text(encoding="utf-8")
    print(json.dumps({"cli_tasks": len(added), "hand_edits": len(edits), "tasks": len(rows)}))
    return Outcome(workspace, added, edits, rows, text)


def test_every_cli_task_exists_and_file_matches_store(crowd: Outcome) -> None:
    assert len(crowd.added) == WRITERS * TASKS_PER_WRITER
    assert set(crowd.added) <= {row[0] for row in crowd.rows}
    live = {row[0]: row[2] for row in crowd.rows if not row[3]}
    parsed = parse_working(crowd.text)
    assert {t.id: t.status.value for t in parsed.task_lines()} == live


def test_no_saved_hand_edit_is_lost(crowd: Outcome) -> None:
    titles = [row[1] for row in crowd.rows]
    lost = [
        n
        for n in crowd.edits
        if f"hand edit {n}" not in titles and f"- hand edit {n}\n" not in crowd.text
    ]
    assert crowd.edits and lost == []


def test_each_hand_edit_makes_one_task(crowd: Outcome) -> None:
    titles = [row[1] for row in crowd.rows]
    doubled = [n for n in crowd.edits if titles.count(f"hand edit {n}") > 1]
    assert doubled == [], f"{len(doubled)} of {len(crowd.edits)} hand edits made several tasks"
