"""`[[agents]] workers = [...]`: such an agent's tasks are run only by workers of those
names; the others leave them waiting, without writing a reason of their own."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from fakes.instant import InstantRunner
from fakes.support import make_scheduler, run_until_idle, until

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.worker_records import WorkerRecord
from tests.conftest import query

CONFIG = """
[[agents]]
name = "builder"
command = ["true"]
workers = ["build-box"]
"""


async def test_an_agent_runs_only_on_its_workers(store: Store, workspace: Path) -> None:
    laptop_runner = InstantRunner()
    laptop = make_scheduler(
        store, workspace, CONFIG, runner_factory=laptop_runner.factory, worker="laptop"
    )
    await store.agents.sync_config(laptop.config.agents)
    task = await store.tasks.create("Build the release", assignees=["builder"])
    await laptop.start()
    try:
        await laptop.settle()
        await laptop.settle()
        left = await store.tasks.get(task.id)
        assert left.status is TaskStatus.ASSIGNED and left.status_reason is None
        assert laptop_runner.log == [] and await store.runs.for_task(task.id) == []
    finally:
        await laptop.stop()

    box_runner = InstantRunner()
    box = make_scheduler(store, workspace, runner_factory=box_runner.factory, worker="build-box")
    await run_until_idle(box)
    await until(lambda: _status(store, task.id, TaskStatus.DONE), message="build-box never ran it")
    assert [agent for _, _, agent in box_runner.log][:1] == ["builder"]


async def _status(store: Store, task_id: str, status: TaskStatus) -> bool:
    return (await store.tasks.get(task_id)).status is status


MISSING = """
[[agents]]
name = "coder"
command = ["maos-no-such-program"]
"""


async def test_a_program_missing_here_fails_the_run_alone_and_waits_with_workers(
    store: Store, workspace: Path
) -> None:
    """One scheduler (SQLite) runs the agent and the run fails, saying why. On a shared
    database the worker leaves the task, and with no other worker the card says why; the
    agent itself stays idle, for the workers that have its program."""
    scheduler = make_scheduler(store, workspace, MISSING, worker="laptop")
    await store.agents.sync_config(scheduler.config.agents)
    task = await store.tasks.create("Write it", assignees=["coder"], max_retries=0)
    await scheduler.start()
    try:
        async with asyncio.timeout(20):
            await scheduler.wait_idle()
        [worker] = await _workers(store)
    finally:
        await scheduler.stop()
    left = await store.tasks.get(task.id)
    runs = await store.runs.for_task(task.id)
    if store.shared:
        assert left.status is TaskStatus.ASSIGNED and runs == []
        wanted = "waiting: coder is offline (no worker has program maos-no-such-program on PATH)"
        assert left.status_reason == wanted
        assert worker.cannot_run == {"coder": "program maos-no-such-program on PATH"}
    else:
        assert left.status is TaskStatus.FAILED and len(runs) == 1
        assert "cannot start maos-no-such-program" in (left.last_error or "")
        assert worker.cannot_run == {}
    assert (await store.agents.get("coder")).status.value == "idle"


async def _workers(store: Store) -> list[WorkerRecord]:
    async with store.read() as conn:
        return await store.workers.list(conn)


@pytest.mark.postgresql
async def test_a_program_installed_later_is_found_on_the_next_heartbeat(
    pg_url: str, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store.open(pg_url)
    config = "[scheduler]\nworker_heartbeat_seconds = 0.3\n" + MISSING
    scheduler = make_scheduler(store, workspace, config, worker="laptop")
    try:
        await store.agents.sync_config(scheduler.config.agents)
        task = await store.tasks.create("Write it", assignees=["coder"], max_retries=0)
        await scheduler.start()
        waiting = "waiting: coder is offline (no worker has program maos-no-such-program on PATH)"
        await until(
            lambda: _reason(store, task.id, waiting), message="the card never said why it waits"
        )
        program = tmp_path / "bin" / "maos-no-such-program"
        program.parent.mkdir()
        program.write_text("#!/bin/sh\ncat >/dev/null\necho written\n")
        program.chmod(0o755)
        monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
        await until(lambda: _status(store, task.id, TaskStatus.DONE), message="never ran it")
        [worker] = await _workers(store)
        assert worker.cannot_run == {}
    finally:
        await scheduler.stop()
        await store.close()
    said = query(
        pg_url,
        "SELECT actor, verb FROM activities WHERE verb IN ('cannot run', 'can run') ORDER BY id",
    )
    assert said == [("laptop", "cannot run"), ("laptop", "can run")]


async def _reason(store: Store, task_id: str, reason: str) -> bool:
    return (await store.tasks.get(task_id)).status_reason == reason


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("command", "said"),
    [('["sh", "-c", "echo sk-made-up"]', []), ('["sh", "-c", "exit 3"]', ["cannot run"])],
)
async def test_a_key_command_decides_once_it_has_run(
    pg_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch, command: str, said: list[str]
) -> None:
    """A key from an `[api_keys]` command is not taken for missing while the command runs:
    the worker says it cannot run the agent only when the command failed, and only once."""
    # Set first so that the key the command loads is taken away after the test.
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.delenv("OPENAI_API_KEY")
    store = await Store.open(pg_url)
    config = (
        f"[scheduler]\nworker_heartbeat_seconds = 0.3\n[api_keys]\nOPENAI_API_KEY = {command}\n"
    )
    scheduler = make_scheduler(store, workspace, config, worker="laptop")
    try:
        await store.agents.add("thinker", model="openai/gpt-4o-mini")
        await scheduler.start()
        await until(lambda: scheduler.gate.keys_loaded, message="the key command never ended")
        await scheduler.settle()
        await scheduler.seat.beat()
        [worker] = await _workers(store)
    finally:
        await scheduler.stop()
        await store.close()
    assert worker.cannot_run == ({"thinker": "OPENAI_API_KEY"} if said else {})
    verbs = query(pg_url, "SELECT verb FROM activities WHERE verb IN ('cannot run', 'can run')")
    assert [verb for (verb,) in verbs] == said
