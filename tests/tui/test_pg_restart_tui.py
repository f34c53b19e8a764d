"""`pg_ctl` restarting the server while a `maos-tui run` worker runs a task and a board is
open: the board says the database is unavailable, both carry on by themselves once it is
back, the task that ran across the restart is done once, and new work is done too."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.support import until

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from tests.conftest import Cli
from tests.pg_server import PASSWORD, PgServer

from .conftest import FIXED_NOW, card_ids

pytestmark = pytest.mark.postgresql

SERVER_PATIENCE = 90.0
# Long enough that the server goes down while the run is still going.
RUN_COMMAND = "sleep 4; echo built"


async def status_is(store: Store, task_id: str, status: TaskStatus) -> bool:
    try:
        return (await store.tasks.get(task_id)).status is status
    except Exception:  # the server may still be starting
        return False


def log_says(log: Path, words: str) -> Callable[[], bool]:
    return lambda: words in log.read_text()


async def test_a_worker_and_a_board_ride_out_a_server_restart(
    workspace: Path, own_pg_server: PgServer
) -> None:
    url = own_pg_server.url("postgres")
    cli = Cli(workspace, url)
    cli.ok("init")
    cli.ok("agent", "add", "builder", "--shell", "--command", RUN_COMMAND)
    cli.ok("task", "add", "Runs across the restart", "--assign", "builder")
    log = workspace.parent / "run.log"
    store = await Store.open(url)
    with log.open("w") as err:
        run = subprocess.Popen(
            cli.argv("run", "--max-seconds", "240"),
            env=cli.env(),
            cwd=workspace,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    ws = Workspace(workspace)
    app = MaosApp(ws, load_config(ws), store=store, start_services=False, clock=lambda: FIXED_NOW)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(
                lambda: card_ids(app, "in_progress") == ["TASK-001"],
                timeout=SERVER_PATIENCE,
                pause=pilot.pause,
                message="the worker never started TASK-001",
            )
            await asyncio.to_thread(own_pg_server.stop)
            try:
                await until(
                    lambda: app.main_screen.has_class("db-down"),
                    timeout=SERVER_PATIENCE,
                    pause=pilot.pause,
                    message="the board never said the database was unavailable",
                )
            finally:
                await asyncio.to_thread(own_pg_server.start_again)
            await asyncio.to_thread(
                cli.ok, "task", "add", "Added after the restart", "--assign", "builder"
            )
            for task_id in ("TASK-001", "TASK-002"):
                await until(
                    lambda task_id=task_id: status_is(store, task_id, TaskStatus.DONE),
                    timeout=SERVER_PATIENCE,
                    pause=pilot.pause,
                    message=f"{task_id} was not done after the restart: {log.read_text()}",
                )
            await until(
                lambda: (
                    card_ids(app, "done") == ["TASK-002", "TASK-001"]
                    and not app.main_screen.has_class("db-down")
                ),
                timeout=SERVER_PATIENCE,
                pause=pilot.pause,
                message="the board did not recover",
            )
            assert run.poll() is None, log.read_text()
    finally:
        run.send_signal(signal.SIGINT)
        await asyncio.to_thread(run.wait, 60)
        await store.close()
    said = log.read_text()
    assert "database unavailable" in said, said
    assert "Traceback" not in said and PASSWORD not in said, said
    assert cli.rows("SELECT task_id, count(*) FROM runs GROUP BY task_id ORDER BY 1") == [
        ("TASK-001", 1),
        ("TASK-002", 1),
    ]
