"""A pass cancelled once it holds the file lock (a loop stopped, an app quitting) still
finishes: its write, on a worker thread, would otherwise land after the passes that follow
it (`run --until-idle` then left a stale WORKING.md), and a merge rolled back under a
written file would lose the hand edit."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time

import pytest

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.owners import sync_running
from maos_tui.working_md.sync import WorkingSync


def lock_is_held(ws: Workspace) -> bool:
    """Does some pass hold WORKING.md's cross-process lock right now?"""
    fd = os.open(ws.maos_dir / "working.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the lock if this look took it
    return False


async def until_a_pass_holds_the_lock(ws: Workspace, job: asyncio.Task[object]) -> None:
    deadline = time.monotonic() + 30
    while not lock_is_held(ws):
        assert not job.done(), f"the pass ended before it was seen holding the lock: {job}"
        assert time.monotonic() < deadline, "no pass took the WORKING.md lock within 30 s"
        await asyncio.sleep(0)


async def test_a_pass_cancelled_while_holding_the_lock_writes_the_file_and_its_state_first(
    store: Store, sync: WorkingSync, ws: Workspace
) -> None:
    await store.tasks.create("Build the site")
    job = asyncio.create_task(sync.sync_once())
    await until_a_pass_holds_the_lock(ws, job)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    # Right after the cancelled pass returns, nothing of it is still in flight.
    assert "- [TASK-001] Build the site" in ws.working_md.read_text(encoding="utf-8")
    assert sync.files.unchanged(sync.files.load_state())
    assert not lock_is_held(ws)


async def test_stop_during_the_first_pass_leaves_no_loop_running(
    store: Store, sync: WorkingSync, ws: Workspace
) -> None:
    await store.tasks.create("Build the site")
    starting = asyncio.create_task(sync.start())
    await until_a_pass_holds_the_lock(ws, starting)
    await sync.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    left = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("working-md")]
    assert left == []
    assert not sync_running(ws.maos_dir, store.url)
    assert "- [TASK-001] Build the site" in ws.working_md.read_text(encoding="utf-8")
