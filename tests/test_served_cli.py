"""Task commands served by an open `maos-tui run` (or TUI): same output, no store import
in the CLI, and a dead server's socket never loses or doubles a command."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from maos_tui.commands.remote import socket_path
from maos_tui.config import Workspace
from tests.conftest import Cli

# The real entry point in a fresh interpreter; reports whether the command ran here (its
# handler runs under asyncio, which the client of a served command never imports) and
# whether the store was imported (a local `task add` may run without it, see store/stdlib/lite_add.py).
_PROBE = """
import contextlib, io, json, sys
from maos_tui.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(),
                  "local": "asyncio" in sys.modules, "store": "sqlalchemy" in sys.modules}))
"""


def probe(cli: Cli, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--workspace", str(cli.workspace), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(),
        cwd=cli.workspace,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def answering(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.connect(str(path))
        except OSError:
            return False
    return True


@pytest.fixture
def serving(cli: Cli) -> Iterator[subprocess.Popen[str]]:
    """`maos-tui run` on an initialised workspace, once it answers on its socket."""
    cli.ok("init")
    run = subprocess.Popen(
        cli.argv("run"), env=cli.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    path = socket_path(Workspace(cli.workspace))
    deadline = time.monotonic() + 60
    while not answering(path):
        assert run.poll() is None, run.stderr.read() if run.stderr else ""
        assert time.monotonic() < deadline, "the server never answered"
        time.sleep(0.05)
    yield run
    run.kill()
    run.wait()


def titles(workspace: Path) -> list[str]:
    con = sqlite3.connect(workspace / ".maos" / "state.db")
    try:
        return [row[0] for row in con.execute("SELECT title FROM tasks ORDER BY seq")]
    finally:
        con.close()


def test_task_commands_are_served_without_importing_the_store(
    cli: Cli, serving: subprocess.Popen[str]
) -> None:
    added = probe(cli, "task", "add", "Served from a script", "--priority", "1")
    assert added == {"code": 0, "out": "TASK-001\n", "err": "", "local": False, "store": False}
    shown = probe(cli, "task", "show", "TASK-001", "--json")
    assert shown["local"] is False and shown["store"] is False
    task = json.loads(str(shown["out"]))
    assert (task["id"], task["title"], task["priority"]) == ("TASK-001", "Served from a script", 1)
    moved = probe(cli, "task", "move", "TASK-001", "review")
    assert moved["out"] == "TASK-001 -> review\n"
    assert titles(cli.workspace) == ["Served from a script"]


def test_a_served_error_is_one_line_and_a_usage_error_stays_local(
    cli: Cli, serving: subprocess.Popen[str]
) -> None:
    missing = probe(cli, "task", "move", "TASK-042", "done")
    assert missing["code"] == 1 and missing["local"] is False
    assert str(missing["err"]).splitlines() == ["error: unknown task TASK-042"]
    empty = cli("task", "add", "   ")
    assert empty.returncode == 1
    assert empty.stderr.strip().startswith("error: ") and len(empty.stderr.splitlines()) == 1
    usage = cli("task", "move", "TASK-001", "sideways")
    assert usage.returncode == 2 and usage.stderr.startswith("error: ")
    assert titles(cli.workspace) == []


def test_a_dead_servers_socket_is_ignored(cli: Cli, serving: subprocess.Popen[str]) -> None:
    serving.send_signal(signal.SIGKILL)
    serving.wait()
    assert socket_path(Workspace(cli.workspace)).exists()  # left behind by kill -9
    added = probe(cli, "task", "add", "After the crash")
    assert added["code"] == 0 and added["local"] is True  # ran itself, exactly once
    assert titles(cli.workspace) == ["After the crash"]
