"""The terminal channel's bell and OSC 9/777 sequences reach the app's own terminal: the
TUI's driver, and `maos-tui run`'s stderr when that is a terminal (a pty here)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fakes.support import PATIENCE, until, write_config

from maos_tui.config import Workspace, load_config
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp

TITLE = "maos-tui (ws): TASK-001 a question for you"


async def test_the_tui_writes_the_alert_through_its_driver(workspace: Path, store: Store) -> None:
    await store.agents.add("coder", command=["sleep", "60"], capabilities=["other"])
    task = await store.tasks.create("Ask", needs=["nobody"])
    ws = Workspace(workspace)
    app = MaosApp(ws, load_config(ws), store=store)
    written: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        driver = app._driver
        assert driver is not None
        original = driver.write

        def capture(data: str) -> None:
            written.append(data)
            original(data)

        driver.write = capture  # type: ignore[method-assign]
        await until(
            lambda: app.services is not None and app.services.alerts is not None,
            pause=pilot.pause,
            message="the alerts started with the scheduler",
        )
        await store.messages.post(task.id, "coder", "@human which port?", type="question")
        await until(
            lambda: any("\x1b]777;notify;" in w for w in written),
            pause=pilot.pause,
            message="the alert's sequences written to the terminal",
        )
    sent = next(w for w in written if "\x1b]777;notify;" in w)
    assert sent.startswith("\a\x1b]9;maos-tui (ws): TASK-001 a question for you: ")
    assert "coder mentioned you in the thread of TASK-001: @human which port?" in sent


def _found(db: Path, query: str) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            row = conn.execute(query).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def _alerts_started(db: Path) -> bool:
    return _found(db, "SELECT 1 FROM maos_meta WHERE key = 'alerts_cursor'")


def _read_until(fd: int, wanted: str, timeout: float = PATIENCE) -> str:
    """What `fd` gives until `wanted` follows an OSC 777 notification."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted.encode() not in seen.partition(b"]777;notify;")[2]:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} never written; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            seen += os.read(fd, 4096)
    return seen.decode(errors="replace")


def test_run_writes_the_alert_to_stderr_on_a_terminal_through_tmux(cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--command", "true", "--capability", "other")
    cli.ok("task", "add", "Ask", "--needs", "nobody")
    main, side = pty.openpty()
    proc = subprocess.Popen(
        cli.argv("run", "--max-seconds", "120"),
        stdout=subprocess.DEVNULL,
        stderr=side,
        stdin=subprocess.DEVNULL,
        env=cli.env(TMUX="/tmp/tmux-0/default,1,0"),
        cwd=workspace,
    )
    os.close(side)
    try:
        deadline = time.monotonic() + PATIENCE
        while not _alerts_started(workspace / ".maos" / "state.db"):
            assert proc.poll() is None, "maos-tui run ended early"
            assert time.monotonic() < deadline, "the alerts never started"
            time.sleep(0.1)
        # Another process asks: the run hears it through the store's change feed.
        cli.ok(
            "msg", "post", "TASK-001", "@human which port?", "--type", "question", "--as", "coder"
        )
        out = _read_until(main, "which port?\x07\x1b\\")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        os.close(main)
    assert f"\a\x1bPtmux;\x1b\x1b]9;{TITLE}: " in out
    assert f"\x1bPtmux;\x1b\x1b]777;notify;{TITLE};" in out


def test_run_writes_no_escape_sequence_to_a_redirected_stderr(cli, workspace: Path) -> None:
    """The terminal channel is left out; the other channels get the alert."""
    cli.ok("init")
    got = workspace / "got.json"
    copy = f"import sys; open({str(got)!r}, 'w').write(sys.stdin.read())"
    write_config(workspace, f"[alerts]\ncommand = {json.dumps([sys.executable, '-c', copy])}\n")
    cli.ok("agent", "add", "coder", "--command", "true", "--capability", "other")
    cli.ok("task", "add", "Ask", "--needs", "nobody")
    proc = subprocess.Popen(
        cli.argv("run", "--max-seconds", "120"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli.env(),
        cwd=workspace,
    )
    db = workspace / ".maos" / "state.db"
    try:
        deadline = time.monotonic() + PATIENCE
        while not _alerts_started(db):
            assert proc.poll() is None, "maos-tui run ended early"
            assert time.monotonic() < deadline, "the alerts never started"
            time.sleep(0.1)
        cli.ok(
            "msg", "post", "TASK-001", "@human which port?", "--type", "question", "--as", "coder"
        )
        while not got.exists() or not got.read_text():
            assert time.monotonic() < deadline, "the command never got the alert"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "\x1b" not in err.decode() and "\a" not in err.decode()
    assert json.loads(got.read_text())["alerts"][0]["kind"] == "question"


def test_run_watches_nothing_with_only_a_terminal_channel_and_no_terminal(
    cli, workspace: Path
) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--command", "true")
    cli.ok("task", "add", "Quick")
    done = cli("run", "--until-idle", "--max-seconds", "60")
    assert done.returncode == 0, done.stderr
    assert not _alerts_started(workspace / ".maos" / "state.db")
