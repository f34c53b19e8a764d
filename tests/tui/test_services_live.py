"""The app hosting its real services: the scheduler runs agents, the WORKING.md sync writes."""

from __future__ import annotations

import sys
from pathlib import Path

from fakes.support import until

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp


async def test_quitting_mid_run_requeues_the_task_and_leaves_working_md_current(
    workspace: Path, store: Store
) -> None:
    await store.agents.add("slow", command=[sys.executable, "-c", "import time; time.sleep(60)"])
    task = await store.tasks.create("Long job")
    ws = Workspace(workspace)
    app = MaosApp(ws, load_config(ws), store=store)
    async with app.run_test(size=(120, 32)) as pilot:
        await until(lambda: app.services is not None and task.id in app.services.active_runs)
        # The run may start before the sync's first pass has written the file.
        await until(
            lambda: (
                ws.working_md.exists()
                and "### IN_PROGRESS\n- [TASK-001] @slow - Long job" in ws.working_md.read_text()
            )
        )
        await pilot.press("q")
        await pilot.pause()
        assert "1 run(s) in progress will be stopped" in str(
            app.screen.query_one(".dialog-title").render()
        )
        await pilot.press("y")
    after = await store.tasks.get(task.id)
    assert (after.status, after.retry_count) == (TaskStatus.INBOX, 0)
    text = ws.working_md.read_text()
    assert "### INBOX\n- [TASK-001] Long job\n" in text
    assert "[ACTIVE]" not in text
