"""`maos-tui run`: the scheduler without the TUI, printing one line per Activity."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.commands.server import CommandServer
    from maos_tui.domain import ActivityRecord
    from maos_tui.events import Event
    from maos_tui.scheduler import Scheduler
    from maos_tui.store import Store
    from maos_tui.working_md.parse import Problem
    from maos_tui.working_md.sync import WorkingSync


log = logging.getLogger(__name__)
# Closing the terminal (SIGHUP) stops the agents as Ctrl+C and SIGTERM do.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run", help="run the scheduler headless (agents work the board)", parents=[common]
    )
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="exit once nothing is runnable, running or waiting for a retry",
    )
    run.add_argument("--max-seconds", type=float, metavar="N", help="stop after N seconds")
    run.add_argument("--json", action="store_true", help="one JSON object per Activity")
    run.add_argument(
        "--worker",
        metavar="NAME",
        help="this worker's name in `status` (default HOST:PID); one live worker per name",
    )
    run.set_defaults(handler=run_command)


def activity_line(activity: ActivityRecord) -> str:
    from maos_tui.domain import iso_z

    extra = activity.details.get("reason") or activity.details.get("to") or ""
    line = f"{iso_z(activity.created_at)} {activity.summary()}"
    return f"{line}: {extra}" if extra else line


async def run_command(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.alerts.configured import stderr_writer
    from maos_tui.alerts.start import start_alerts
    from maos_tui.commands.server import CommandServer
    from maos_tui.domain import WORKER_NAME, DomainError
    from maos_tui.scheduler import Scheduler

    if args.max_seconds is not None and args.max_seconds <= 0:
        raise DomainError("--max-seconds must be positive")
    if args.worker is not None and not WORKER_NAME.fullmatch(args.worker):
        raise DomainError(
            f"bad worker name {args.worker!r}: letters, digits and :_.- (up to 64 characters)"
        )
    # Not store(writes=True): the sync's last pass, as it stops, leaves WORKING.md current,
    # and a second rewrite after it re-read and re-rendered the whole board for nothing.
    async with ctx.store() as store:
        scheduler = Scheduler(store, ctx.workspace, ctx.config, worker=args.worker)

        def show(event: Event) -> None:
            if event.activity is None:
                return
            try:
                if ctx.json:
                    ctx.emit(event.activity.to_json())
                else:
                    ctx.out(activity_line(event.activity))
            except BrokenPipeError:
                stop.set()  # nobody reads the output any more (`| head`): stop as on SIGTERM

        unsubscribe = store.bus.subscribe(show)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        sync = _working_sync(store, ctx)
        started, left, alerts = None, "", None
        server = CommandServer(store, ctx.workspace, ctx.config)
        try:
            # As in the TUI (tui/services.py): a save made while nothing ran is merged
            # before the scheduler places tasks it may have moved.
            if await sync.holds_unmerged_save():
                await sync.start()
                started = sync
            await scheduler.start()
            alerts = await start_alerts(scheduler, *stderr_writer())
            # Serving first: the sync's first pass waits for an editor that keeps saving,
            # and commands served meanwhile reach the file through its commit poll.
            await _start_server(server)
            if started is None:
                await sync.start()
                started = sync
            waiters = [asyncio.create_task(stop.wait())]
            if args.until_idle:
                waiters.append(asyncio.create_task(scheduler.wait_idle()))
            await asyncio.wait(waiters, timeout=args.max_seconds, return_when="FIRST_COMPLETED")
            # Stopped by --max-seconds before the board was idle: a script must not take
            # that for "all done".
            unfinished = args.until_idle and not (stop.is_set() or waiters[-1].done())
            for waiter in waiters:
                waiter.cancel()
            left = await work_left(store, scheduler) if unfinished else ""
        finally:
            await server.stop()
            if alerts is not None:
                await alerts.stop()
            await scheduler.stop()
            if started is not None:
                await started.stop()
            unsubscribe()
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
    if left:
        raise DomainError(f"--max-seconds {args.max_seconds:g} reached with work left: {left}")
    return 0


async def work_left(store: Store, scheduler: Scheduler) -> str:
    """What kept `--until-idle` from ending, in a few words."""
    from maos_tui.domain import FINAL_STATUSES

    counts = await store.tasks.counts()
    parts = [f"{len(scheduler.active_runs)} run(s) going"]
    if scheduler.unrecorded:
        parts.append(f"{len(scheduler.unrecorded)} ended run(s) not recorded yet")
    open_ = {s: n for s, n in counts.items() if n and s not in {f.value for f in FINAL_STATUSES}}
    parts.append(", ".join(f"{n} {s}" for s, n in open_.items()) or "no open task")
    return "; ".join(parts)


async def _start_server(server: CommandServer) -> None:
    """Serve task commands from other terminals; without it they simply run themselves."""
    try:
        await server.start()
    except OSError as exc:
        log.warning("not serving CLI commands: %s", exc)


def _working_sync(store: Store, ctx: Context) -> WorkingSync:
    """Keeps WORKING.md in step with the board while running headless."""
    from maos_tui.working_md.sync import WorkingSync

    def report(problems: list[Problem]) -> None:
        for problem in problems:
            ctx.warn(problem.headline())

    return WorkingSync(store, ctx.workspace, on_problems=report)
