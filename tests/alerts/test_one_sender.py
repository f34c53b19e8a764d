"""Only the process running the scheduler sends alerts: a second TUI on the workspace
watches the board and sends none (each alert is sent once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.support import make_scheduler, until

from maos_tui.config import Workspace, load_config
from maos_tui.scheduler.lock import SchedulerLock
from maos_tui.store import Store
from maos_tui.tui import services
from maos_tui.tui.app import MaosApp
from maos_tui.tui.services import Services


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


async def test_a_board_taking_the_scheduler_over_takes_the_alerts_too(
    workspace: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "TAKEOVER_SECONDS", 0.05)
    await store.agents.add("coder", command=["true"], capabilities=["other"])
    task = await store.tasks.create("Ask", needs=["nobody"])
    ws = Workspace(workspace)
    other = SchedulerLock(ws)  # another process's scheduler
    other.acquire()
    written: list[str] = []
    watching = Services(store, ws, load_config(ws), lambda _problems: None, written.append)
    try:
        await watching.start()
        assert watching.alerts is None
        other.release()
        await until(lambda: watching.alerts is not None, message="the alerts taken over")
        await store.messages.post(task.id, "coder", "@human which port?", type="question")
        await until(lambda: written, message="the alert written to the terminal")
    finally:
        other.release()
        await watching.stop()
    assert "\x1b]777;notify;maos-tui (ws): TASK-001 a question for you;" in written[0]
