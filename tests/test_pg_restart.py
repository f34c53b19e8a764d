"""`maos-tui run` on a PostgreSQL server that stops and comes back: it says the database is
unavailable (once, in one line, without the password), keeps running, and carries on with
new work once the server is back; nothing runs twice."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.pg_server import PASSWORD, PgServer

pytestmark = pytest.mark.postgresql


def _wait(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def _done(cli: Cli, task: str) -> bool:
    shown = cli("task", "show", task, "--json")
    return shown.returncode == 0 and json.loads(shown.stdout)["status"] == "done"


def test_run_waits_out_a_stopped_server_and_carries_on(
    workspace: Path, own_pg_server: PgServer
) -> None:
    cli = Cli(workspace, own_pg_server.url("postgres"))
    cli.ok("init")
    cli.ok("agent", "add", "builder", "--command", "echo built")
    cli.ok("task", "add", "Before the stop", "--assign", "builder")
    log = workspace.parent / "run.log"
    with log.open("w") as err:
        run = subprocess.Popen(
            cli.argv("run", "--max-seconds", "240"),
            env=cli.env(),
            cwd=workspace,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        _wait(lambda: _done(cli, "TASK-001"), "the first task was not done")
        own_pg_server.stop()
        _wait(lambda: "database unavailable" in log.read_text(), "run never said so")
        assert run.poll() is None, log.read_text()
        own_pg_server.start_again()
        cli.ok("task", "add", "After the return", "--assign", "builder")
        _wait(lambda: _done(cli, "TASK-002"), "the task added after the return was not done")
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
    said = log.read_text()
    assert "Traceback" not in said and PASSWORD not in said, said
    assert cli.rows("SELECT task_id, count(*) FROM runs GROUP BY task_id ORDER BY 1") == [
        ("TASK-001", 1),
        ("TASK-002", 1),
    ]
