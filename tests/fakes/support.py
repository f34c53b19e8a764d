"""Helpers to build a scheduler on a test workspace and wait for it."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from maos_tui.config import Workspace, load_config
from maos_tui.domain import utcnow
from maos_tui.scheduler import Scheduler
from maos_tui.store import Store
from maos_tui.store.leases import LeaseTerms

# The lease terms of a test that starts runs at the store, as one worker would.
ONE_WORKER = LeaseTerms("test-worker", 60, 4)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or utcnow()

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def write_config(root: Path, text: str) -> None:
    (root / ".maos").mkdir(parents=True, exist_ok=True)
    (root / ".maos" / "config.toml").write_text(text, encoding="utf-8")


def make_scheduler(store: Store, root: Path, config: str = "", **options: Any) -> Scheduler:
    if config:
        write_config(root, config)
    workspace = Workspace(root)
    return Scheduler(store, workspace, load_config(workspace), **options)


# How long a test waits for something the code under test should do. Sized for a machine
# loaded to 5 on 2 cores: a passing test never waits this long, a failing one says why.
PATIENCE = 30.0


async def until(
    check: Callable[[], object],
    timeout: float = PATIENCE,
    message: str = "the condition never became true",
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Wait for `check()` (a bool, or an awaitable of one) to be true; fail after `timeout`
    with `message`. `pause` lets a TUI test wait through `pilot.pause`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout:g} s)")
        await pause(0.02)


async def run_until_idle(scheduler: Scheduler, timeout: float = 20.0) -> None:
    await scheduler.start()
    try:
        async with asyncio.timeout(timeout):
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()


def alive(pid: int) -> bool:
    """Is the process running? A zombie (dead, not yet reaped by its parent) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"
