"""Start the TUI from the CLI.

On a SQLite database of the current schema, the board's first paint reads it with the
stdlib (store/stdlib/first_read.py) and the store opens right after the paint: importing
SQLAlchemy, SQLModel and pydantic took longer than the paint may. Otherwise the store is
opened before the terminal is taken over, so an unopenable or too-new database ends as
one `error:` line from the CLI, never a traceback or a flashed screen. (A store that fails
to open after a paint made without it ends the app, then raises here: the same one line,
once the screen is restored.)
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from maos_tui.store.stdlib.first_read import FirstReader

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.tui.app import MaosApp

STOP_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(app: MaosApp) -> Iterator[None]:
    """SIGHUP (the terminal closed), SIGTERM and SIGINT end the app as quitting does, its
    agents' processes killed first: none may outlive the board that started them."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    async def wind_down(sig: signal.Signals) -> None:
        # The services first: with the terminal gone, the app's own exit may not get as
        # far as stopping them, and the runs must be recorded as stopped, not crashed.
        if app.services is not None:
            await app.services.stop()
        if sig is signal.SIGHUP:
            # Everything is saved; restoring a terminal that is gone can block Textual's
            # writer forever.
            os._exit(128 + sig)
        app.exit()

    def stop(sig: signal.Signals) -> None:
        scheduler = app.services.scheduler if app.services is not None else None
        if scheduler is not None:
            from maos_tui.scheduler.hangup import kill_agents_now

            kill_agents_now(scheduler)
        if not stopping:
            stopping.append(asyncio.create_task(wind_down(sig)))

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def launch(ctx: Context) -> int:
    started = time.perf_counter()
    return asyncio.run(_run(ctx, started))


async def _run(ctx: Context, started: float) -> int:
    reader = FirstReader.open(ctx.db_url)
    # Only a first run in the current folder makes a workspace: a --workspace or
    # MAOS_WORKSPACE naming another folder is more likely a typo than a wish.
    here = ctx.uses_default_db and ctx.workspace.root.resolve() == Path.cwd().resolve()
    store = None if reader is not None else await ctx.open_store(create=here)
    # Collection stays off until the first paint (MaosApp.after_first_paint turns it back
    # on): Textual's modules and the first screen are long-lived objects that each
    # collection pass would walk again while they are being created.
    gc.disable()
    try:
        from maos_tui.tui.app import MaosApp

        app = MaosApp(
            ctx.workspace,
            ctx.config,
            store=store,
            db_url=ctx.db_url,
            first_reader=reader,
            open_store=ctx.open_store,
            env=ctx.env,
        )
        with stop_on_signals(app):
            await app.run_async()
    finally:
        if reader is not None:
            reader.close()  # the app closes it after its read; not if it never got there
        if store is not None:
            await store.close()
    if app.open_error is not None:
        raise app.open_error
    for change in app.db_status.unsaved_at_exit:  # the board that would say so is gone
        print(f"not saved (database unavailable): {change}", file=sys.stderr)
    if ctx.env.get("MAOS_BENCH_EXIT_AFTER_PAINT") == "1" and app.first_paint_at is not None:
        # `at` is the raw perf_counter (CLOCK_MONOTONIC on Linux, shared by processes):
        # the benchmark harness subtracts its own pre-spawn stamp to count interpreter start.
        elapsed = app.first_paint_at - started
        print(f"first paint {elapsed:.3f}s at {app.first_paint_at:.6f}", file=sys.stderr)
    return int(app.return_code or 0)
