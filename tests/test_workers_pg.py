"""Three `maos-tui run` workers on one PostgreSQL database work a board together; one is
killed with SIGKILL mid-run. Every task is done exactly once, no task ever has two runs
at a time, and the killed worker's tasks come back with a retry counted and an Activity
that says why. And eight `task add` processes writing at once while three workers run:
every task they were told was added exists and is done exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.fakes.support import write_config

pytestmark = pytest.mark.postgresql

TASKS = 300
# Eight `task add` processes at once, each adding this many tasks one after another.
WRITERS, ADDS = 8, 3
CONFIG = """
[scheduler]
max_parallel = 9
worker_heartbeat_seconds = 1.0
"""


def _wait(condition: Callable[[], bool], what: str, seconds: float = 300) -> None:
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


def _done_once(cli: Cli) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Each task's runs, by task; every task done exactly once, never two runs at once."""
    runs: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for task_id, started, ended, outcome in cli.rows(
        "SELECT task_id, started_at, ended_at, outcome FROM runs ORDER BY started_at"
    ):
        assert ended is not None, f"run of {task_id} left open"
        runs.setdefault(str(task_id), []).append((started, ended, str(outcome)))  # type: ignore[arg-type]
    for task_id, attempts in runs.items():
        assert [o for _, _, o in attempts].count("done") == 1, (task_id, attempts)
        for (_, ended, _), (started, _, _) in pairwise(attempts):
            assert ended <= started, f"{task_id} had two runs at once: {attempts}"
    return runs


async def _add_tasks(url: str) -> None:
    """The board, written at once (300 `task add` processes would take minutes)."""
    store = await Store.open(url)
    try:
        for n in range(TASKS):
            await store.tasks.create(f"Task {n}", assignees=["quick"])
    finally:
        await store.close()


def _start(cli: Cli, names: tuple[str, ...]) -> dict[str, subprocess.Popen[bytes]]:
    workers = {}
    for name in names:
        with (cli.workspace.parent / f"{name}.log").open("w") as err:
            workers[name] = subprocess.Popen(
                cli.argv("run", "--worker", name, "--max-seconds", "480"),
                env=cli.env(),
                cwd=cli.workspace,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
    try:
        # All of them are working before the board fills, so each gets a share.
        _wait(lambda: cli.rows("SELECT count(*) FROM workers") == [(len(names),)], "workers up")
    except BaseException:
        _stop(workers)
        raise
    return workers


def _stop(workers: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGINT to those still running, and wait for them to end."""
    running = [worker for worker in workers.values() if worker.poll() is None]
    for worker in running:
        worker.send_signal(signal.SIGINT)
    for worker in running:
        worker.wait(timeout=60)


def _three_workers(
    workspace: Path, pg_url: str, command: str
) -> tuple[Cli, dict[str, subprocess.Popen[bytes]]]:
    """A board whose one agent runs `command`, worked by three worker processes."""
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    write_config(workspace, CONFIG)
    cli.ok("agent", "add", "quick", "--command", command, "--max-concurrent", "9")
    return cli, _start(cli, ("w1", "w2", "w3"))


def _ended_cleanly(cli: Cli, workers: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, worker in workers.items():
        said = (cli.workspace.parent / f"{name}.log").read_text()
        assert worker.returncode == 0 and "Traceback" not in said, said


def test_three_workers_share_a_board_and_survive_a_kill(workspace: Path, pg_url: str) -> None:
    cli, workers = _three_workers(workspace, pg_url, "sleep 1")
    try:
        asyncio.run(_add_tasks(pg_url))
        _wait(lambda: bool(_open_runs_of(cli, "w3")), "w3 never ran a task")
        workers["w3"].kill()
        workers["w3"].wait(timeout=30)
        lost = _open_runs_of(cli, "w3")  # its runs left open by the kill
        assert lost, "w3 had no run open when it was killed"
        _wait(lambda: _done(cli) == TASKS, f"not all {TASKS} tasks were done")
    finally:
        _stop(workers)
    _ended_cleanly(cli, {name: workers[name] for name in ("w1", "w2")})

    runs = _done_once(cli)
    assert len(runs) == TASKS

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


def test_eight_writers_while_three_workers_run_lose_nothing(workspace: Path, pg_url: str) -> None:
    cli, workers = _three_workers(workspace, pg_url, "sleep 0.2")

    def writer(n: int) -> list[str]:
        return [
            cli.ok("task", "add", f"Writer {n} task {k}", "--assign", "quick").strip()
            for k in range(ADDS)
        ]

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            added = [task_id for ids in pool.map(writer, range(WRITERS)) for task_id in ids]
        assert len(set(added)) == WRITERS * ADDS, added
        _wait(lambda: _done(cli) == len(added), f"not all {len(added)} added tasks were done")
    finally:
        _stop(workers)
    _ended_cleanly(cli, workers)
    rows = cli.rows("SELECT id, title, status FROM tasks")
    assert sorted(str(task_id) for task_id, _, _ in rows) == sorted(added)
    assert {str(title) for _, title, _ in rows} == {
        f"Writer {n} task {k}" for n in range(WRITERS) for k in range(ADDS)
    }
    assert sorted(_done_once(cli)) == sorted(added)
