"""Agent processes never outlive their scheduler: closing the terminal of a running TUI
(the pty's master closed: the kernel sends SIGHUP) while a command agent and its child run
leaves no process behind, and the task goes back to the inbox without counting a retry.
The same for `maos-tui run` on SIGHUP. A task a person moved to in_progress is not taken
for one a crash left behind."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import threading
import time
from pathlib import Path

from fakes.support import alive

from tests.conftest import Cli
from tests.worktrees.scheduled import coder, setup, task, wait_for


def _drain(fd: int) -> None:
    """Read the TUI's screen output so it never blocks on a full pty."""
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def _gone(pids: list[int]) -> bool:
    return not any(alive(pid) for pid in pids)


def test_closing_the_tuis_terminal_stops_its_agents(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log"
    ws = setup(cli, coder("coder", "hang", log))
    tid = cli.ok("task", "add", "Runs until stopped").strip()
    pid, master = pty.fork()
    if pid == 0:  # the child: the TUI on the pty, as a terminal would start it
        env = {**cli.env(), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.chdir(ws)
        os.execve(cli.argv()[0], cli.argv(), env)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    try:
        pids_file = log / f"{tid}.pids"
        wait_for(pids_file.exists, "the TUI's scheduler started the agent", timeout=90)
        agents = [int(p) for p in pids_file.read_text().split()]
        assert all(alive(p) for p in agents)
        closed = time.monotonic()
        os.close(master)  # the terminal window closes
        wait_for(lambda: _gone(agents), "the agent and its child to be gone", timeout=30)
        took = time.monotonic() - closed
        print(f"agents gone {took:.2f}s after the terminal closed")
        deadline = time.monotonic() + 60
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            assert time.monotonic() < deadline, "the TUI did not exit"
            time.sleep(0.05)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    shown = task(cli, tid)
    assert (shown["status"], shown["retry_count"]) == ("inbox", 0), shown


def test_sighup_to_run_stops_its_agents_and_requeues_without_a_retry(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    ws = setup(cli, coder("coder", "hang", log))
    tid = cli.ok("task", "add", "Runs until stopped").strip()
    runner = subprocess.Popen(cli.argv("run"), env=cli.env(), cwd=ws, stdout=subprocess.DEVNULL)
    try:
        wait_for((log / f"{tid}.pids").exists, "the agent started")
        agents = [int(p) for p in (log / f"{tid}.pids").read_text().split()]
        runner.send_signal(signal.SIGHUP)
        wait_for(lambda: _gone(agents), "the agent and its child to be gone", timeout=30)
        assert runner.wait(timeout=60) == 0
    finally:
        runner.kill()
    shown = task(cli, tid)
    assert (shown["status"], shown["retry_count"]) == ("inbox", 0), shown


def test_a_task_moved_to_in_progress_by_hand_costs_no_retry(cli: Cli, tmp_path: Path) -> None:
    setup(cli, coder("coder", "edit", tmp_path / "log"))
    tid = cli.ok("task", "add", "Started by hand", "--assign", "coder").strip()
    cli.ok("task", "move", tid, "in_progress")
    result = cli("run", "--until-idle", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "requeued" not in result.stdout
    shown = task(cli, tid)
    assert (shown["status"], shown["retry_count"]) == ("review", 0), shown
