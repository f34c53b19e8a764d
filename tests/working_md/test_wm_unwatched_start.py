"""`WorkingSync.start(until_watched=False)`, as the TUI and `run` start it, returns before
the folder watcher's first look (up to 200 ms sooner, before the scheduler can start): a
save made in that gap is still applied, by that first look."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.sync import WorkingSync


async def test_a_save_right_after_an_unwatched_start_is_applied(
    store: Store, ws: Workspace, replace: Callable[[Path, str, str], None]
) -> None:
    task = await store.tasks.create("Research pricing")
    sync = WorkingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    await sync.start(until_watched=False)
    try:
        replace(ws.working_md, "Research pricing", "Research prices")
        deadline = time.monotonic() + 30
        while (await store.tasks.get(task.id)).title != "Research prices":
            assert time.monotonic() < deadline, "the save made during start-up was not applied"
            await asyncio.sleep(0.02)
    finally:
        await sync.stop()
