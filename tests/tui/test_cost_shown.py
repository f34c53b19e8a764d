"""The cost to finish on screen: the header's `spent · to go` and the task detail's
"Cost to finish" section (the figures are tests/test_forecast.py's arithmetic)."""

from __future__ import annotations

from collections.abc import Callable

from fakes.support import ONE_WORKER
from textual.widgets import Static

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.scheduling import RunStart
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.detail import CostSection, TaskDetailScreen

from .probes import until, until_shown

SIZE = (140, 40)


async def finished_run(store: Store, task_id: str, cost: float) -> None:
    task = await store.tasks.get(task_id)
    async with store.write() as tx:
        [started] = await store.scheduling.start_runs_in(
            tx, [RunStart(task, "bot", "work")], ONE_WORKER
        )
    await store.runs.add_usage(started.run_id, "bot", 100, 20, cost)
    async with store.write() as tx:
        await store.runs.finish_in(tx, started.run_id, "done")


async def test_the_header_and_the_detail_show_the_cost_to_finish(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["true"])
    done = await store.tasks.create("Done already", assignees=["bot"])
    await finished_run(store, done.id, 0.50)
    await finished_run(store, done.id, 1.50)
    await store.tasks.move(done.id, TaskStatus.DONE)
    parent = await store.tasks.create("Parent", assignees=["bot"])
    await store.tasks.create("Child", parent=parent.id)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # bot: $1.00 a run (high: the one tally's mean, $1.00), 2 runs a task: $2.00 each.
        await until_shown(pilot, "$2.00 spent · ~$4.00 to go")
        await app.push_screen(TaskDetailScreen(parent.id))
        body = app.screen.query_one(CostSection).query_one(".section-body", Static)
        expected = (
            "likely $2.00 · high $2.00   bot: 2 runs, 1 task done\n"
            "with its 1 open subtask: likely $4.00 · high $4.00"
        )
        await until(pilot, lambda: str(body.content) == expected, "the parent's cost to finish")
