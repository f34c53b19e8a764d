"""A board that only watches (another process runs the scheduler) takes the scheduler over
when that process ends: a closed browser tab or terminal does not stop the runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.support import until

from maos_tui.config import Workspace, load_config
from maos_tui.scheduler import scheduler_holder
from maos_tui.scheduler.lock import SchedulerLock
from maos_tui.store import Store
from maos_tui.tui import services
from maos_tui.tui.services import Services


async def test_a_watching_board_takes_the_scheduler_over(
    workspace: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "TAKEOVER_SECONDS", 0.05)
    ws = Workspace(workspace)
    other = SchedulerLock(ws)  # another process's scheduler (an flock is per open file)
    other.acquire()
    watching = Services(store, ws, load_config(ws), lambda _problems: None)
    try:
        await watching.start()
        assert watching.state == "off (held by another process)"
        other.release()
        await until(lambda: watching.state == "running")
        assert scheduler_holder(ws) is not None
    finally:
        other.release()
        await watching.stop()
    assert scheduler_holder(ws) is None


async def test_stopping_a_watching_board_ends_its_wait(
    workspace: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "TAKEOVER_SECONDS", 0.05)
    ws = Workspace(workspace)
    other = SchedulerLock(ws)
    other.acquire()
    watching = Services(store, ws, load_config(ws), lambda _problems: None)
    try:
        await watching.start()
        await watching.stop()
        other.release()
        # Many polls' time for a wait that was not ended to take the lock.
        await asyncio.sleep(20 * services.TAKEOVER_SECONDS)
        assert watching.state == "off (held by another process)"
        assert scheduler_holder(ws) is None
    finally:
        other.release()
