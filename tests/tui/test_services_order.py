"""The order the app's services start in: a runnable task does not wait for the WORKING.md
sync's first pass, unless that pass merges a save made while nothing ran.

The test holds WORKING.md's cross-process lock (as another maos-tui process's pass would),
so the first pass cannot finish until it lets go."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.services import Services
from maos_tui.working_md.sync import WorkingSync

# Under LOCK_TIMEOUT (working_md/files.py): a scheduler waiting for the first pass would
# only start once that pass gave up on the lock.
DEADLINE = 20.0
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


async def until(check: Callable[[], object], what: str) -> None:
    try:
        async with asyncio.timeout(DEADLINE):
            while not check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {DEADLINE:.0f}s: {what}") from None


@contextmanager
def working_md_lock_held(ws: Workspace) -> Iterator[Callable[[], None]]:
    ws.ensure_dirs()
    fd = os.open(ws.maos_dir / "working.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            os.close(fd)

    try:
        yield release
    finally:
        release()


async def test_a_command_agent_starts_before_the_first_working_md_pass_completes(
    workspace: Path, store: Store
) -> None:
    await store.agents.add("builder", command=SLEEPER)
    task = await store.tasks.create("Build the site")
    ws = Workspace(workspace)
    with working_md_lock_held(ws) as release:
        app = MaosApp(ws, load_config(ws), store=store)
        async with app.run_test(size=(120, 32)):
            await until(
                lambda: app.services is not None and task.id in app.services.active_runs,
                "the builder's run started while the first pass waited for the lock",
            )
            assert not ws.working_md.exists()  # the first pass has not written it yet
            release()
            await until(
                lambda: (
                    ws.working_md.exists()
                    and "- [TASK-001] @builder - Build the site" in ws.working_md.read_text()
                ),
                "the first pass wrote the run into WORKING.md once the lock was free",
            )


async def test_a_save_made_while_nothing_ran_is_merged_before_the_scheduler_places_tasks(
    workspace: Path, store: Store
) -> None:
    await store.agents.add("builder", command=SLEEPER)
    task = await store.tasks.create("Build the site")
    ws = Workspace(workspace)
    ws.ensure_dirs()
    await WorkingSync(store, ws).sync_once()
    text = ws.working_md.read_text(encoding="utf-8")
    line = "- [TASK-001] Build the site\n"
    assert line in text and "### DONE\n" in text, text
    # Done by hand, in the file, while no maos-tui process ran.
    ws.working_md.write_text(text.replace(line, "").replace("### DONE\n", f"### DONE\n{line}"))
    with working_md_lock_held(ws) as release:
        app = MaosApp(ws, load_config(ws), store=store)
        async with app.run_test(size=(120, 32)):
            services = await _services(app)
            await until(lambda: services.sync is not None, "the sync began its first pass")
            assert services.scheduler is None, "the scheduler started before the merge"
            release()
            await until(lambda: services.scheduler is not None, "the scheduler started")
            assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
            assert services.active_runs == {}
    assert await store.runs.for_task(task.id) == []


async def _services(app: MaosApp) -> Services:
    await until(lambda: app.services is not None, "the app began its services")
    assert app.services is not None
    return app.services
