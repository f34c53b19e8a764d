"""`[[agents]] workers = [...]`: such an agent's tasks are run only by workers of those
names; the others leave them waiting, without writing a reason of their own."""

from __future__ import annotations

from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler, run_until_idle, until

from maos_tui.domain import TaskStatus
from maos_tui.store import Store

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
