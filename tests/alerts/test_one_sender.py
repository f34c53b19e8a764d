"""Only the process running the scheduler sends alerts: a second TUI on the workspace
watches the board and sends none (each alert is sent once)."""

from __future__ import annotations

from pathlib import Path

from fakes.support import make_scheduler, until

from maos_tui.config import Workspace, load_config
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp


async def test_a_tui_without_the_scheduler_sends_no_alerts(workspace: Path, store: Store) -> None:
    scheduler = make_scheduler(store, workspace)
    await scheduler.start()
    try:
        ws = Workspace(workspace)
        app = MaosApp(ws, load_config(ws), store=store)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(
                lambda: app.services is not None and app.services.off_reason,
                pause=pilot.pause,
                message="the second app's services started",
            )
            assert app.services is not None
            assert app.services.scheduler is None and app.services.alerts is None
    finally:
        await scheduler.stop()
