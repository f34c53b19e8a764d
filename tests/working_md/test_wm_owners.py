"""A running sync owns WORKING.md: CLI commands leave the rewrite to it, and it follows
their commits through the database (they publish nothing on its bus)."""

from __future__ import annotations

import signal
import subprocess
import sys

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.owners import OWNERS_DIR, sync_running
from maos_tui.working_md.sync import WorkingSync
from tests.conftest import Cli
from tests.working_md.test_wm_live import until

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
