"""Fault 2 on a real full filesystem: a small tmpfs holds the whole workspace.

Needs permission to mount (root with CAP_SYS_ADMIN, as in the project's CI container);
elsewhere the test is skipped with that reason, and the injected-ENOSPC test in
test_working_md_faults.py still covers the WORKING.md writer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.support import PATIENCE

from tests.conftest import Cli
from tests.reliability.helpers import integrity, task_statuses

SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(folder: Path) -> Path:
    """Write until the filesystem has not one byte left; returns the filler file."""
    filler = folder / "filler"
    # Unbuffered: a buffered byte that did not fit would fail again on close.
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 4096, 1):  # the last bytes too: a few KiB let SQLite open
            try:
                while True:
                    out.write(b"\0" * chunk)
                    os.fsync(out.fileno())
            except OSError as exc:
                assert exc.errno == 28  # ENOSPC
    return filler


def test_full_disk_fails_cleanly_loses_nothing_and_recovers(small_disk: Path) -> None:
    workspace = small_disk / "ws"
    cli = Cli(workspace)
    cli.ok("init", str(workspace))
    for n in range(5):
        cli.ok("task", "add", f"before {n}")
    working = workspace / "WORKING.md"
    before = working.read_bytes()
    cli.ok("status")
    filler = fill(small_disk)
    # A read may work (the stdlib path opens the file read-only; the store's path once the
    # -shm index exists) or fail for want of room; either way it lists every task or says
    # the disk is full, and never claims that a change was lost: there was none.
    ids = [f"TASK-00{n}" for n in range(1, 6)]
    for stdlib in ("1", "0"):
        for read in (("task", "list"), ("status",)):
            result = cli(*read, MAOS_STDLIB=stdlib)
            if result.returncode == 0:
                shown = result.stdout
                assert all(i in shown for i in ids) if read[0] == "task" else "inbox" in shown
                continue
            message = result.stderr.strip()
            assert message.count("\n") == 0 and message.startswith("error: "), message
            assert "the disk is full" in message and "free some space" in message, message
            assert "not saved" not in message, message

    result = cli("task", "add", "while full", "--description", "x" * 60_000)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot write {workspace / '.maos' / 'state.db'}: ")
    assert "the disk is full" in lines[0] and "free some space" in lines[0]
    assert working.read_bytes() == before  # never half-written, whatever failed
    assert not list(workspace.glob(".WORKING.md.maos-tmp-*"))

    filler.unlink()
    cli.ok("task", "add", "after space came back")
    titles = [t["title"] for t in json.loads(cli.ok("task", "list", "--json"))]
    assert titles[:5] == [f"before {n}" for n in range(5)] and "after space came back" in titles
    assert integrity(workspace / ".maos" / "state.db") == ["ok"]
    text = working.read_text(encoding="utf-8")
    assert all(title in text for title in titles)  # WORKING.md caught up


AGENT = """\
import os, sys, time
marks = sys.argv[1]
sys.stdin.read()
with open(os.path.join(marks, os.environ["MAOS_TASK_ID"] + ".start"), "a") as f:
    f.write("started\\n")
while not os.path.exists(os.path.join(marks, "go")):
    time.sleep(0.05)
print("worked")
"""


def wait_for(condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def test_runs_that_end_on_a_full_disk_are_recorded_once_space_comes_back(
    small_disk: Path, tmp_path: Path
) -> None:
    """`run` says each failure in one line, not a traceback, and says a repeated one once;
    the runs that ended while the disk was full are recorded when space comes back, and
    their tasks are not run again."""
    workspace = small_disk / "ws"
    cli = Cli(workspace)
    cli.ok("init", str(workspace))
    marks = tmp_path / "marks"  # off the small disk: the agents can always write here
    marks.mkdir()
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    cli.ok("agent", "add", "worker", "--max-concurrent", "2",
           "--command", f"{sys.executable} {script} {marks}")  # fmt: skip
    for n in range(2):
        cli.ok("task", "add", f"job {n}", "--assign", "worker")
    run_err = tmp_path / "run.stderr"
    with run_err.open("w") as err:
        run = subprocess.Popen(cli.argv("run"), env=cli.env(), stdout=subprocess.DEVNULL,
                               stderr=err)  # fmt: skip
    try:
        wait_for(lambda: len(list(marks.glob("*.start"))) == 2, "the agents never started")
        filler = fill(small_disk)
        (marks / "go").touch()  # both runs end while the disk is full
        wait_for(lambda: "could not record the end of run" in run_err.read_text(),
                 f"no failure reported: {run_err.read_text()}")  # fmt: skip
        time.sleep(3)  # some passes retry on the full disk: each failure is said once
        filler.unlink()
        db = workspace / ".maos" / "state.db"
        wait_for(lambda: set(task_statuses(db).values()) == {"done"},
                 f"the runs were never recorded: {run_err.read_text()}")  # fmt: skip
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=PATIENCE) == 0
    finally:
        run.kill()
        run.wait()
    runs = {p.stem: p.read_text().count("started") for p in marks.glob("*.start")}
    said = run_err.read_text()
    assert runs == {"TASK-001": 1, "TASK-002": 1}, said  # recorded, not run again
    assert "Traceback" not in said, said
    lines = said.splitlines()
    full = ("the disk is full", "No space left on device")
    assert all(any(words in line for words in full) for line in lines), said
    assert len(lines) <= 4, said  # each distinct failure once, not once per pass
    assert integrity(db) == ["ok"]
