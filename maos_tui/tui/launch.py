"""Start the TUI from the CLI.

The store is opened before the terminal is taken over, so an unopenable or too-new
database ends as one `error:` line from the CLI, never a traceback or a flashed screen.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def launch(ctx: Context) -> int:
    started = time.perf_counter()
    return asyncio.run(_run(ctx, started))


async def _run(ctx: Context, started: float) -> int:
    store = await ctx.open_store()
    # Collection stays off until the first paint (MaosApp.after_first_paint turns it back
    # on): Textual's modules and the first screen are long-lived objects that each
    # collection pass would walk again while they are being created.
    gc.disable()
    try:
        from maos_tui.tui.app import MaosApp

        app = MaosApp(ctx.workspace, ctx.config, store=store, env=ctx.env)
        await app.run_async()
    finally:
        await store.close()
    if ctx.env.get("MAOS_BENCH_EXIT_AFTER_PAINT") == "1" and app.first_paint_at is not None:
        # `at` is the raw perf_counter (CLOCK_MONOTONIC on Linux, shared by processes):
        # the benchmark harness subtracts its own pre-spawn stamp to count interpreter start.
        elapsed = app.first_paint_at - started
        print(f"first paint {elapsed:.3f}s at {app.first_paint_at:.6f}", file=sys.stderr)
    return int(app.return_code or 0)
