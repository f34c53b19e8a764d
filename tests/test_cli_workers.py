"""`maos-tui run` registers a worker: `status` lists it with the age of its heartbeat, a
second worker of the same name is refused in one line, and a clean exit removes it."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable

from tests.conftest import Cli
from tests.fakes.support import write_config


def _wait(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def _workers(cli: Cli) -> list[dict[str, object]]:
    return list(json.loads(cli.ok("status", "--json"))["workers"])


def test_status_lists_a_running_worker_until_it_stops(cli: Cli) -> None:
    cli.ok("init")
    write_config(cli.workspace, "[scheduler]\nworker_heartbeat_seconds = 0.2\n")
    assert _workers(cli) == []
    run = subprocess.Popen(
        cli.argv("run", "--worker", "build-box", "--max-seconds", "120"),
        env=cli.env(),
        cwd=cli.workspace,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(lambda: [w["name"] for w in _workers(cli)] == ["build-box"], "no worker listed")
        first = _workers(cli)[0]
        assert first["pid"] == run.pid and first["live"] is True
        # Heartbeats go on: the last one is never older than a few intervals.
        _wait(
            lambda: _workers(cli)[0]["heartbeat_at"] != first["heartbeat_at"],
            "the heartbeat never moved",
        )
        assert float(str(_workers(cli)[0]["heartbeat_age_seconds"])) < 5
        shown = cli.ok("status")
        assert f"worker    build-box: pid {run.pid} on " in shown
        assert "s ago" in shown
        # A second worker of that name (on SQLite: any second scheduler) is refused.
        refused = cli.error("run", "--worker", "build-box", "--max-seconds", "5")
        assert "already running" in refused
    finally:
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert _workers(cli) == []
    # Starting and stopping are not board history (an app's every start would show).
    assert cli.rows("SELECT actor, verb FROM activities WHERE verb LIKE 'worker %'") == []


def test_a_bad_worker_name_is_one_error_line(cli: Cli) -> None:
    cli.ok("init")
    assert "bad worker name" in cli.error("run", "--worker", "no spaces", "--max-seconds", "1")


def test_a_name_left_by_a_killed_worker_on_this_machine_is_free_at_once(cli: Cli) -> None:
    cli.ok("init")
    run = subprocess.Popen(
        cli.argv("run", "--worker", "w1", "--max-seconds", "120"),
        env=cli.env(),
        cwd=cli.workspace,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: [w["name"] for w in _workers(cli)] == ["w1"], "no worker listed")
    finally:
        run.kill()
        run.wait(timeout=30)
    # Its row says it is live for three more heartbeats, but its process is gone.
    assert [w["live"] for w in _workers(cli)] == [True]
    cli.ok("run", "--worker", "w1", "--max-seconds", "0.5")
    assert _workers(cli) == []
