"""Changes WORKING.md does not show start no sync pass: a pass re-reads and re-renders the
whole board, and the scheduler's heartbeats (each agent, every few seconds) and run-log
appends would otherwise cost one each, starting with the first heartbeat right after
the TUI's first paint."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.sync import WorkingSync


class CountingSync(WorkingSync):
    """The real sync, counting the passes that read and render the board (a look at the
    file after our own write, which finds it unchanged, is not one)."""

    passes = 0

    async def _pass(self, *args: Any, **kwargs: Any) -> Any:
        self.passes += 1
        return await super()._pass(*args, **kwargs)


async def test_heartbeats_and_run_logs_start_no_pass_while_other_changes_do(
    store: Store, ws: Workspace
) -> None:
    agent = await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("Research pricing")
    sync = CountingSync(store, ws, debounce=0.05, settle=0.02, empty_grace=0.0)
    await sync.start()
    try:
        before = sync.passes
        for _ in range(3):
            async with store.write() as tx:
                await store.agent_status.heartbeat_in(tx, agent, running=False)
        async with store.write() as tx:
            run_id = await store.runs.start_in(tx, task.id, "coder")
        await store.runs.append_log(run_id, "working on it\n")
        # Another process's change, seen by the sync's poll: it must still get its pass.
        # (Run in a thread, so the sync's loops run meanwhile, as they would for heartbeats.)
        argv = [sys.executable, "-m", "maos_tui", "--workspace", str(ws.root)]
        await asyncio.to_thread(
            subprocess.run,
            [*argv, "task", "add", "From the shell"],
            check=True,
            timeout=120,
            env={**os.environ, "MAOS_DB_URL": store.url},
        )
        deadline = time.monotonic() + 60
        while "From the shell" not in ws.working_md.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, "the shell's task never reached WORKING.md"
            await asyncio.sleep(0.05)
        assert sync.passes - before == 1, f"{sync.passes - before} passes, not 1"
    finally:
        await sync.stop()
