"""An agent runs only on workers whose machine has what it needs. Two `maos-tui run`
workers on one PostgreSQL database, `a` with a command agent's program on its PATH and
`b` without: while only `b` runs, the agent's tasks wait and their cards say no worker has
the program; once `a` runs, `a` does every one of them and `b` none, and `b` has said
once that it cannot run the agent (its output, its row in `status`). The same for an LLM
agent's provider key, which one worker lacking it must not take offline for the other."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.fakes.support import write_config

pytestmark = pytest.mark.postgresql

TASKS = 12
PROGRAM = "maos-fake-coder"
CONFIG = """
[scheduler]
max_parallel = 4
worker_heartbeat_seconds = 1.0
"""
# Prints which worker ran it: the summary becomes the task's result.
SCRIPT = '#!/bin/sh\ncat >/dev/null\necho "done by $MAOS_TEST_WORKER"\n'
NO_WORKER = f"waiting: coder is offline (no worker has program {PROGRAM} on PATH)"


def _wait(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


async def _add_tasks(url: str) -> None:
    store = await Store.open(url)
    try:
        for n in range(TASKS):
            await store.tasks.create(f"Task {n}", assignees=["coder"])
    finally:
        await store.close()


def _reasons(cli: Cli) -> list[object]:
    return [reason for (reason,) in cli.rows("SELECT status_reason FROM tasks ORDER BY id")]


def _results(cli: Cli) -> list[object]:
    return [result for (result,) in cli.rows("SELECT result FROM tasks ORDER BY id")]


class Workers:
    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, **env: str) -> None:
        out = self.cli.workspace.parent / f"{name}.out"
        with out.open("w") as sink:
            self.procs[name] = subprocess.Popen(
                self.cli.argv("run", "--worker", name, "--max-seconds", "180"),
                env=self.cli.env(MAOS_TEST_WORKER=name, **env),
                cwd=self.cli.workspace,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def output(self, name: str) -> str:
        return (self.cli.workspace.parent / f"{name}.out").read_text()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for name, proc in self.procs.items():
            proc.wait(timeout=60)
            assert proc.returncode == 0, self.output(name)


def test_only_the_worker_with_the_program_runs_its_agent(
    workspace: Path, pg_url: str, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / PROGRAM
    script.write_text(SCRIPT)
    script.chmod(0o755)
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    write_config(workspace, CONFIG)
    cli.ok("agent", "add", "coder", "--command", PROGRAM, "--max-concurrent", "4")
    asyncio.run(_add_tasks(pg_url))
    workers = Workers(cli)
    try:
        workers.start("b")  # without the program
        _wait(lambda: _reasons(cli) == [NO_WORKER] * TASKS, "cards never said no worker has it")
        shown = json.loads(cli.ok("status", "--json"))
        assert [w["cannot_run"] for w in shown["workers"]] == [
            {"coder": f"program {PROGRAM} on PATH"}
        ]
        assert "worker    b: " in (line := cli.ok("status"))
        assert f"cannot run coder (no program {PROGRAM} on PATH)" in line

        path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        workers.start("a", PATH=path)
        _wait(lambda: _results(cli) == ["done by a"] * TASKS, "a never did every task")
        shown = json.loads(cli.ok("status", "--json"))
        assert {w["name"]: w["cannot_run"] for w in shown["workers"]} == {
            "a": {},
            "b": {"coder": f"program {PROGRAM} on PATH"},
        }
    finally:
        workers.stop()
    runs = cli.rows("SELECT outcome, count(*) FROM runs GROUP BY outcome")
    assert runs == [("done", TASKS)], runs  # b never tried one
    said = workers.output("b")
    line = f"b cannot run coder: no program {PROGRAM} on PATH; its tasks are left to other workers"
    assert said.count(line) == 1, said  # said once, not once a pass
    assert "cannot run" not in workers.output("a")
    assert "Traceback" not in said + workers.output("a")


def _heartbeats_since_start(cli: Cli, name: str) -> float:
    rows = cli.rows("SELECT started_at, heartbeat_at FROM workers WHERE name = :n", n=name)
    return sum((beat - start).total_seconds() for start, beat in rows)  # type: ignore[operator]


def test_a_key_missing_on_one_worker_leaves_the_agent_to_the_other(
    workspace: Path, pg_url: str
) -> None:
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    write_config(workspace, CONFIG)
    cli.ok("agent", "add", "thinker", "--model", "openai/gpt-4o-mini")
    task_id = cli.ok("task", "add", "Think", "--assign", "thinker").strip()
    no_worker = "waiting: thinker is offline (no worker has OPENAI_API_KEY)"
    workers = Workers(cli)
    try:
        workers.start("b", OPENAI_API_KEY="")
        _wait(lambda: _reasons(cli) == [no_worker], "the card never said no worker has the key")
        cli.ok("task", "cancel", task_id)  # a would call the provider with a made-up key
        workers.start("a", OPENAI_API_KEY="sk-made-up")
        # Both have been making passes for two heartbeats: two workers that took turns
        # setting the agent offline and idle would have done so hundreds of times.
        _wait(lambda: _heartbeats_since_start(cli, "a") >= 2, "a never heartbeat twice")
        shown = json.loads(cli.ok("status", "--json"))
    finally:
        workers.stop()
    assert {w["name"]: w["cannot_run"] for w in shown["workers"]} == {
        "a": {},
        "b": {"thinker": "OPENAI_API_KEY"},
    }
    # As written on the agent (`status` shows it as its own machine finds it).
    assert cli.rows("SELECT status FROM agents") == [("idle",)]
    assert cli.rows("SELECT verb FROM activities WHERE verb LIKE 'set agent%'") == []
    said = workers.output("b")
    line = "b cannot run thinker: no OPENAI_API_KEY; its tasks are left to other workers"
    assert said.count(line) == 1, said
