"""A running sync owns WORKING.md: CLI commands leave the rewrite to it, and it follows
their commits through the database (they publish nothing on its bus)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fakes.support import until

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.owners import OWNERS_DIR, Ownership, sync_running
from maos_tui.working_md.sync import WorkingSync
from tests.conftest import Cli

CLAIM_AND_WAIT = """\
import sys, time
from pathlib import Path
from maos_tui.working_md.owners import Ownership
Ownership(Path(sys.argv[1])).claim(sys.argv[2])
print("claimed", flush=True)
time.sleep(60)
"""


async def test_a_running_sync_claims_the_file_until_it_stops(store: Store, ws: Workspace) -> None:
    sync = WorkingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    assert not sync_running(ws.maos_dir, store.url)
    await sync.start()
    try:
        assert sync_running(ws.maos_dir, store.url)
        # A command on another database must still rewrite the file itself.
        assert not sync_running(ws.maos_dir, "sqlite+aiosqlite:////elsewhere/state.db")
    finally:
        await sync.stop()
    assert not sync_running(ws.maos_dir, store.url)
    assert list((ws.maos_dir / OWNERS_DIR).iterdir()) == []


async def test_a_cli_change_reaches_the_file_through_the_running_sync(
    store: Store, ws: Workspace, cli: Cli
) -> None:
    sync = WorkingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    await sync.start()
    try:
        task_id = cli.ok("task", "add", "Added by a script").strip()
        await until(lambda: f"[{task_id}] Added by a script" in ws.working_md.read_text())
        moved = cli.ok("task", "move", task_id, "review")
        assert moved.startswith(task_id)
        await until(lambda: _section_of(ws.working_md.read_text(), task_id) == "### REVIEW")
    finally:
        await sync.stop()


@contextlib.contextmanager
def file_lock_held(ws: Workspace) -> Iterator[None]:
    """Hold WORKING.md's lock, as a long pass by another process does."""
    path: Path = ws.maos_dir / "working.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


async def test_a_sync_claims_the_file_before_its_first_pass(store: Store, ws: Workspace) -> None:
    """The first pass may wait seconds for an editor to stop saving: commands must not
    queue behind it to rewrite the file themselves."""
    sync = WorkingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    with file_lock_held(ws):
        starting = asyncio.create_task(sync.start())
        await until(lambda: sync_running(ws.maos_dir, store.url))
        assert not starting.done()  # still waiting for the lock: no pass has run yet
    await starting
    try:
        assert ws.working_md.exists()
    finally:
        await sync.stop()


async def test_a_failed_start_leaves_no_claim(store: Store, ws: Workspace) -> None:
    sync = WorkingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    with file_lock_held(ws):
        starting = asyncio.create_task(sync.start())
        await until(lambda: sync_running(ws.maos_dir, store.url))
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    assert not sync_running(ws.maos_dir, store.url)


def test_a_command_waiting_for_the_file_steps_aside_once_a_sync_runs(
    ws: Workspace, cli: Cli
) -> None:
    """Without a sync a command rewrites the file itself, waiting for the lock; a sync that
    starts meanwhile takes that job over, and the command ends without the lock."""
    cli.ok("init")
    cli.ok("task", "add", "first")
    with file_lock_held(ws):
        command = subprocess.Popen(
            cli.argv("task", "add", "second"),
            env=cli.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_until_it_waits_for(command, ws.maos_dir / "working.lock")
        owner = Ownership(ws.maos_dir)
        owner.claim(cli.db_url or ws.default_db_url())
        try:
            # Well under the lock's 30 s timeout: only stepping aside ends it this soon.
            out, err = command.communicate(timeout=20)
        finally:
            owner.release()
            command.kill()
    assert command.returncode == 0, err
    assert out.strip() == "TASK-002"
    assert err == ""


def _wait_until_it_waits_for(process: subprocess.Popen[str], lock: Path) -> None:
    """Until `process` has the lock file open (Linux /proc): it is past its own check for
    a running sync and is waiting for the lock."""
    deadline = time.monotonic() + 30
    fds = Path(f"/proc/{process.pid}/fd")
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == str(lock) for fd in fds.iterdir()):
                return
        time.sleep(0.02)
    raise AssertionError(f"the command never opened {lock}")


def test_the_claim_of_a_killed_process_counts_for_nothing(ws: Workspace) -> None:
    url = ws.default_db_url()
    owner = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_WAIT, str(ws.maos_dir), url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "claimed"
        assert sync_running(ws.maos_dir, url)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert len(list((ws.maos_dir / OWNERS_DIR).iterdir())) == 1  # left behind by the crash
    assert not sync_running(ws.maos_dir, url)
    assert list((ws.maos_dir / OWNERS_DIR).iterdir()) == []


def _section_of(text: str, task_id: str) -> str | None:
    section = None
    for line in text.splitlines():
        if line.startswith("### "):
            section = line.strip()
        elif f"[{task_id}]" in line:
            return section
    return None
