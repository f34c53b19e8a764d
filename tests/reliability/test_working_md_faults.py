"""Faults 2 and 5: a full disk under the WORKING.md writer, and hostile WORKING.md files.

Every case keeps the store working (the CLI change that triggered the sync succeeds), says
what happened on stderr, and loses none of the user's text: a refused file is kept aside
byte for byte, a file that cannot be written is left as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import resource
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.support import until

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md import atomic
from maos_tui.working_md.parse import Problem, parse_working
from maos_tui.working_md.sync import WorkingSync
from tests.conftest import Cli

MB = 1024 * 1024


def add_task(cli: Cli, title: str) -> str:
    """`task add` must succeed whatever WORKING.md is; returns its stderr (the warnings)."""
    result = cli("task", "add", title)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def titles_in(path: Path) -> set[str]:
    parsed = parse_working(path.read_text(encoding="utf-8"))
    return {t.title for t in parsed.task_lines()}


# Contents are built inside the test: as parameters they would become the test's ID, and
# pytest exports that ID to every subprocess's environment.
HOSTILE = {
    "20 MB of text": (lambda: b"- some hand-written line\n" * (20 * MB // 25), "20.0 MB"),
    "binary garbage": (lambda: os.urandom(256 * 1024), "binary"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_unreadable_file_is_kept_aside_and_replaced(cli: Cli, workspace: Path, name: str) -> None:
    make, reason = HOSTILE[name]
    content = make()
    cli.ok("init")
    working = workspace / "WORKING.md"
    working.write_bytes(content)
    warnings = add_task(cli, "after the damage")
    assert "refused" in warnings and reason in warnings, warnings
    kept = list(workspace.glob("WORKING.md.rejected-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content  # nothing of it is lost
    assert titles_in(working) == {"after the damage"}


def test_ten_thousand_task_lines_and_a_one_megabyte_line(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "real task")
    working = workspace / "WORKING.md"
    ghosts = "".join(f"- [TASK-{n + 100:05d}] ghost task {n}\n" for n in range(10_000))
    long_line = "- " + "y" * MB + "\n"
    text = working.read_text(encoding="utf-8")
    working.write_text(text.replace("### INBOX\n", "### INBOX\n" + ghosts + long_line, 1))
    warnings = add_task(cli, "added next")
    assert "unknown task TASK-10099" in warnings
    after = working.read_text(encoding="utf-8")
    # Lines that could not be applied stay in the file verbatim for the user to fix.
    assert ghosts in after and long_line in after
    assert {"real task", "added next"} <= titles_in(working)


def test_symlink_to_a_file_outside_is_never_written_through(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    cli.ok("init")
    cli.ok("task", "add", "makes a revision to restore")
    outside = tmp_path / "outside.md"
    outside.write_text("# someone else's file\n")
    working = workspace / "WORKING.md"
    working.unlink()
    working.symlink_to(outside)
    warnings = add_task(cli, "still works")
    assert "symlink" in warnings and str(outside) in warnings, warnings
    assert outside.read_text() == "# someone else's file\n"
    assert working.is_symlink()  # the link is the user's: not replaced by a file either
    assert "does not write through" in cli.error("working", "restore", "1")


def test_read_only_file_is_reported_then_caught_up(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    working = workspace / "WORKING.md"
    before = working.read_bytes()
    working.chmod(0o444)
    warnings = add_task(cli, "while read-only")
    assert "read-only" in warnings, warnings
    assert working.read_bytes() == before
    working.chmod(0o644)
    assert add_task(cli, "writable again") == ""
    assert titles_in(working) == {"first", "while read-only", "writable again"}


async def test_disk_full_keeps_old_file_reports_and_catches_up(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(workspace)
    ws.ensure_dirs()
    reported: list[list[Problem]] = []
    sync = WorkingSync(store, ws, on_problems=reported.append, debounce=0.05, settle=0.02)
    await store.tasks.create("before the disk filled")
    await sync.start()
    try:
        working = ws.working_md
        old = working.read_bytes()

        def disk_full(_fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        # fsync is where a full disk shows up for a buffered write of a small file.
        monkeypatch.setattr(atomic.os, "fsync", disk_full)
        await store.tasks.create("while the disk is full")

        async def reported_full() -> bool:
            return any("No space left" in p.reason for ps in reported for p in ps)

        await until(reported_full, message="the full disk was never reported")
        assert working.read_bytes() == old
        assert not list(workspace.glob(".WORKING.md.maos-tmp-*"))  # no half-written temp
        monkeypatch.undo()
        await store.tasks.create("after space came back")

        async def caught_up() -> bool:
            return titles_in(working) == {
                "before the disk filled",
                "while the disk is full",
                "after space came back",
            }

        await until(caught_up, message="WORKING.md never caught up once space came back")
    finally:
        await sync.stop()
    await asyncio.sleep(0)


# ------------------------------------------------------------ not a regular file, and `run`


@contextlib.contextmanager
def running(cli: Cli, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`maos-tui run`, its stderr in `log`, once it owns WORKING.md (it serves commands
    from before then)."""
    with log.open("wb") as err:
        run = subprocess.Popen(
            cli.argv("run"), env=cli.env(), stdout=subprocess.DEVNULL, stderr=err
        )
    owners = cli.workspace / ".maos" / "sync-owners"
    try:
        wait_for(
            lambda: any(owners.glob("*.lock")),
            f"run did not start: {log.read_text()}",
            lambda: run.poll() is None,
        )
        yield run
    finally:
        run.terminate()
        run.wait(timeout=60)


def wait_for(
    check: Callable[[], bool],
    message: str | Callable[[], str],
    alive: Callable[[], bool] = lambda: True,
) -> None:
    deadline = time.monotonic() + 60
    while not check():
        if not alive() or time.monotonic() >= deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(0.05)


def db_titles(workspace: Path) -> list[str]:
    con = sqlite3.connect(f"file:{workspace / '.maos' / 'state.db'}?mode=ro", uri=True)
    try:
        return [row[0] for row in con.execute("SELECT title FROM tasks ORDER BY seq")]
    finally:
        con.close()


def test_a_fifo_never_stalls_run_and_edits_are_followed_after(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    working = workspace / "WORKING.md"
    text = working.read_text()
    log = tmp_path / "run.err"
    with running(cli, log):
        working.unlink()
        os.mkfifo(working)
        # Served by run: before, its event loop sat in open() on the FIFO for good.
        for title in ("while a fifo", "still served"):
            assert cli("task", "add", title, timeout=30).returncode == 0
        wait_for(lambda: "it is a FIFO" in log.read_text(), f"not reported: {log.read_text()}")
        working.unlink()
        working.write_text(text.replace("### INBOX\n", "### INBOX\n- Typed after the fifo\n"))
        wait_for(
            lambda: "Typed after the fifo" in db_titles(workspace),
            "the hand edit made after the FIFO was never applied",
        )
    errors = log.read_text()
    assert errors.count("it is a FIFO") == 1 and "Traceback" not in errors, errors


def test_run_reports_each_working_md_problem_once(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    working = workspace / "WORKING.md"
    outside = tmp_path / "outside.md"
    outside.write_text("# someone else's file\n")
    ghost, twin = "- [TASK-050] ghost\n", "- [TASK-001] first\n"

    def add_line(line: str) -> None:
        working.write_text(working.read_text().replace("### INBOX\n", "### INBOX\n" + line))

    def drop_line(line: str) -> None:
        working.write_text(working.read_text().replace(line, "", 1))

    # (what run says, how the fault is made, how it is undone)
    faults: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        ("it is a directory", lambda: replace_with(working, working.mkdir), working.rmdir),
        (
            "it is a symlink",
            lambda: replace_with(working, lambda: working.symlink_to(outside)),
            working.unlink,
        ),
        ("unknown task TASK-050", lambda: add_line(ghost), lambda: drop_line(ghost)),
        ("duplicate TASK-001", lambda: add_line(twin), lambda: drop_line(twin)),
        ("(it is binary)", lambda: working.write_bytes(b"\0" * 4096), lambda: None),
    ]
    log = tmp_path / "run.err"
    with running(cli, log):
        for number, (said, make, undo) in enumerate(faults):
            make()
            for n in range(3):  # each change is a pass that meets the fault again
                cli.ok("task", "add", f"fault {number} change {n}")
                wait_for(
                    lambda s=said: s in log.read_text(),
                    lambda s=said: (
                        f"{s!r} not reported; run said:\n{log.read_text()}\n"
                        f"WORKING.md is_symlink={working.is_symlink()} exists={working.exists()}"
                    ),
                )
            undo()
            last = f"fault {number} change 2"
            wait_for(
                lambda t=last: working.is_file() and t in working.read_text(),
                f"the file never caught up after {said!r}",
            )
    errors = log.read_text()
    assert "Traceback" not in errors, errors
    for said, _, _ in faults:
        assert errors.count(said) == 1, f"{said!r}:\n{errors}"
    assert outside.read_text() == "# someone else's file\n"
    assert all(line.startswith("warning: WORKING.md") for line in errors.splitlines()), errors
    assert len(list(workspace.glob("WORKING.md.rejected-*"))) == 1


def replace_with(path: Path, make: Callable[[], None]) -> None:
    path.unlink()
    make()


def test_working_check_on_dev_zero_reads_nothing(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    working = workspace / "WORKING.md"
    working.unlink()
    working.symlink_to("/dev/zero")

    def small() -> None:  # reading /dev/zero whole would fail this at once
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 * MB, 2 * 1024 * MB))

    done = subprocess.run(
        cli.argv("working", "check"),
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=small,
    )
    assert done.returncode == 1, done.stderr
    assert "it is a device" in done.stdout and "Traceback" not in done.stderr


def test_doctor_does_not_open_a_fifo(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    working = workspace / "WORKING.md"
    working.unlink()
    os.mkfifo(working)
    result = cli("doctor", timeout=30)
    assert "it is a FIFO" in result.stdout + result.stderr
