"""A database locked by another process: the app says so, retries, and loses nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp

HOLD_SECONDS = 7  # longer than busy_timeout (5 s), so the first try fails


def hold_lock(db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, time\n"
            f"con = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "con.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            f"time.sleep({HOLD_SECONDS})\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


async def test_key_action_waits_out_a_lock_and_applies(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    await store.tasks.create("Write the parser", priority=2)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        holder = hold_lock(workspace / ".maos" / "state.db")
        try:
            await pilot.press("0")
            async with asyncio.timeout(40):
                while (await store.tasks.get("TASK-001")).priority != 0:
                    await asyncio.sleep(0.2)
        finally:
            holder.kill()
            holder.wait()
        messages = [n.message for n in app._notifications]
        assert any("locked by another process; retrying" in m for m in messages), messages
        assert not any(n.severity == "error" for n in app._notifications)
