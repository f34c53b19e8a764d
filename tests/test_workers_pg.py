"""Three `maos-tui run` workers on one PostgreSQL database work a board together; one is
killed with SIGKILL mid-run. Every task is done exactly once, no task ever has two runs
at a time, and the killed worker's tasks come back with a retry counted and an Activity
that says why."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.fakes.support import write_config

pytestmark = pytest.mark.postgresql

TASKS = 60
CONFIG = """
[scheduler]
max_parallel = 9
worker_heartbeat_seconds = 1.0
"""


def _wait(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def _done(cli: Cli) -> int:
    [(count,)] = cli.rows("SELECT count(*) FROM tasks WHERE status = 'done'")
    return int(str(count))


def _open_runs_of(cli: Cli, worker: str) -> list[str]:
    rows = cli.rows(
        "SELECT runs.task_id FROM runs JOIN leases ON leases.run_id = runs.id "
        "WHERE runs.ended_at IS NULL AND leases.worker = :worker",
        worker=worker,
    )
    return sorted(str(task_id) for (task_id,) in rows)


async def _add_tasks(url: str) -> None:
    """The board, written at once (sixty `task add` processes would take a minute)."""
    store = await Store.open(url)
    try:
        for n in range(TASKS):
            await store.tasks.create(f"Task {n}", assignees=["quick"])
    finally:
        await store.close()


def test_three_workers_share_a_board_and_survive_a_kill(workspace: Path, pg_url: str) -> None:
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    write_config(workspace, CONFIG)
    cli.ok("agent", "add", "quick", "--command", "sleep 1", "--max-concurrent", "9")
    logs = {name: workspace.parent / f"{name}.log" for name in ("w1", "w2", "w3")}
    workers: dict[str, subprocess.Popen[bytes]] = {}
    for name, log in logs.items():
        with log.open("w") as err:
            workers[name] = subprocess.Popen(
                cli.argv("run", "--worker", name, "--max-seconds", "240"),
                env=cli.env(),
                cwd=workspace,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
    try:
        # All three are working before the board fills, so each gets a share.
        _wait(lambda: cli.rows("SELECT count(*) FROM workers") == [(3,)], "not 3 workers")
        asyncio.run(_add_tasks(pg_url))
        _wait(lambda: bool(_open_runs_of(cli, "w3")), "w3 never ran a task")
        workers["w3"].kill()
        workers["w3"].wait(timeout=30)
        lost = _open_runs_of(cli, "w3")  # its runs left open by the kill
        assert lost, "w3 had no run open when it was killed"
        _wait(lambda: _done(cli) == TASKS, f"not all {TASKS} tasks were done")
    finally:
        for name in ("w1", "w2"):
            workers[name].send_signal(signal.SIGINT)
        for name in ("w1", "w2"):
            workers[name].wait(timeout=60)
    for name in ("w1", "w2"):
        said = logs[name].read_text()
        assert workers[name].returncode == 0 and "Traceback" not in said, said

    # Every task done exactly once, and never two runs of one task at a time.
    runs: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for task_id, started, ended, outcome in cli.rows(
        "SELECT task_id, started_at, ended_at, outcome FROM runs ORDER BY started_at"
    ):
        assert ended is not None, f"run of {task_id} left open"
        runs.setdefault(str(task_id), []).append((started, ended, str(outcome)))  # type: ignore[arg-type]
    assert len(runs) == TASKS
    for task_id, attempts in runs.items():
        assert [o for _, _, o in attempts].count("done") == 1, (task_id, attempts)
        for (_, ended, _), (started, _, _) in pairwise(attempts):
            assert ended <= started, f"{task_id} had two runs at once: {attempts}"

    # The killed worker's tasks: their run ended as crashed, a retry counted, and said so.
    for task_id in lost:
        assert [o for _, _, o in runs[task_id]] == ["crashed", "done"], runs[task_id]
        [(retries,)] = cli.rows("SELECT retry_count FROM tasks WHERE id = :id", id=task_id)
        assert retries == 1
        reasons = [
            json.loads(str(details))["reason"]
            for (details,) in cli.rows(
                "SELECT details FROM activities WHERE task_id = :id AND verb = 'moved'",
                id=task_id,
            )
            if "w3" in str(details)
        ]
        assert reasons and "worker w3 stopped heartbeating" in reasons[0], reasons
    assert cli.rows("SELECT actor FROM activities WHERE verb = 'worker lost'") == [("w3",)]
    shown = json.loads(cli.ok("status", "--json"))
    assert shown["workers"] == [] and shown["tasks"]["done"] == TASKS
