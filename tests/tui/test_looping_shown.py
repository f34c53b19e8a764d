"""A task whose run was stopped for looping says why: its card carries a `⟳ looping` badge,
and its detail shows the evidence and the question in its thread."""

from __future__ import annotations

from collections.abc import Callable

from fakes.support import ONE_WORKER

from maos_tui.store import Store
from maos_tui.store.scheduling import RunStart
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.detail import TaskDetailScreen

from .probes import screen_text, until_shown

SIZE = (120, 40)
EVIDENCE = 'the same tool call 5 times: read_file {"path":"src/login.py"}'


async def test_the_card_and_the_detail_say_the_run_was_looping(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["true"])
    task = await store.tasks.create("Fix the login test", assignees=["bot"])
    async with store.write() as tx:
        [started] = await store.scheduling.start_runs_in(
            tx, [RunStart(task, "bot", "work")], ONE_WORKER
        )
        await store.loops.park_in(tx, task.id, started.run_id, "bot", EVIDENCE)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, "@bot ⟳ looping")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen)
        await until_shown(pilot, "last error: looping: the same tool call 5 times")
        text = screen_text(app)
        assert "I kept looping after being told" in text
