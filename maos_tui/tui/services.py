"""The background services the app hosts: the scheduler (#4), the WORKING.md sync (#3) and
the server that answers `maos-tui task ...` from other terminals.

They start after the board's first paint. The scheduler may refuse to start (another
process runs it); the board keeps working and shows the scheduler as "off" with the
reason, and takes the scheduler over when that process ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from maos_tui.config import Config, Workspace

if TYPE_CHECKING:
    from maos_tui.scheduler import Scheduler
    from maos_tui.store import Store
    from maos_tui.working_md.sync import WorkingSync

log = logging.getLogger(__name__)

# How often an app that only watches checks whether the scheduler's process has ended.
TAKEOVER_SECONDS = 3.0


def workspace_isolation(workspace: Workspace, config: Config) -> str:
    """`[workspace] isolation` made concrete; "none" when it cannot be (said by the runs)."""
    from maos_tui.worktrees import WorktreeError, isolation_mode

    try:
        return isolation_mode(workspace.root, config.workspace_settings().isolation)
    except WorktreeError:
        return "none"


def isolation_note(services: Services | None) -> str:
    """What the header adds to the scheduler's state when each task has its worktree."""
    return " · worktrees" if services is not None and services.isolation == "worktree" else ""


def workers_note(live: int, services: Services | None) -> str:
    """The header counts the database's live workers when there are others than this
    app's own scheduler."""
    own = 1 if services is not None and services.state != "off" else 0
    if live <= own:
        return ""
    return f" · {live} worker{'s' if live > 1 else ''}"


class Services:
    def __init__(
        self,
        store: Store,
        workspace: Workspace,
        config: Config,
        on_problems: Callable[[list[Any]], None],
        terminal: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.config = config
        self.on_problems = on_problems
        self.scheduler: Any = None
        self.sync: Any = None
        self.server: Any = None
        self.alerts: Any = None
        self.terminal = terminal  # where the alerts' terminal channel writes
        self.off_reason = ""
        self.isolation = "none"  # worked out as the services start (a git call)
        self._takeover: asyncio.Task[None] | None = None
        self._stopping: asyncio.Future[None] | None = None

    @property
    def state(self) -> str:
        if self.scheduler is None:
            return f"off ({self.off_reason})" if self.off_reason else "off"
        return str(self.scheduler.state)

    @property
    def active_runs(self) -> dict[str, Any]:
        return dict(getattr(self.scheduler, "active_runs", {}) or {})

    async def start(self) -> None:
        """The scheduler first: a runnable task must not wait for the sync's first pass,
        which re-reads and re-renders the whole board (unless that pass merges a save made
        while nothing ran: the save can move, edit or archive what the scheduler places)."""
        from maos_tui.working_md.sync import WorkingSync

        self.isolation = await asyncio.to_thread(workspace_isolation, self.workspace, self.config)
        sync = WorkingSync(self.store, self.workspace, on_problems=self.on_problems)
        merge_first = await sync.holds_unmerged_save()
        if merge_first:
            await self._start_sync(sync)
        await self._start_scheduler()
        await self._start_server()
        if not merge_first:
            await self._start_sync(sync)

    async def _start_sync(self, sync: WorkingSync) -> None:
        # Known before it starts: quitting during the first pass stops it too.
        self.sync = sync
        await sync.start()

    async def _start_scheduler(self) -> None:
        from maos_tui.scheduler import Scheduler, SchedulerBusy

        scheduler = Scheduler(self.store, self.workspace, self.config)
        try:
            await scheduler.start()
        except SchedulerBusy:
            # Another maos-tui process runs this workspace's scheduler: this one only watches,
            # and takes over once that process ends.
            self.off_reason = "held by another process"
            self._takeover = asyncio.create_task(self._take_over(scheduler), name="takeover")
            return
        await self._running(scheduler)

    async def _running(self, scheduler: Scheduler) -> None:
        from maos_tui.alerts.start import start_alerts

        self.scheduler = scheduler
        # Only the process running the scheduler alerts: each alert is sent once.
        self.alerts = await start_alerts(scheduler, self.terminal)

    async def _take_over(self, scheduler: Scheduler) -> None:
        """Runs go on while any app of the workspace is open: closing the browser tab (or
        the terminal) whose app ran the scheduler hands it to one still open."""
        from maos_tui.scheduler import SchedulerBusy

        while True:
            await asyncio.sleep(TAKEOVER_SECONDS)
            try:
                await scheduler.start()
            except SchedulerBusy:
                continue
            except Exception as exc:  # the board stays usable, saying why
                self.off_reason = f"failed to start: {exc}"
                return
            self.off_reason = ""
            await self._running(scheduler)
            return

    async def _start_server(self) -> None:
        """Answer `maos-tui task ...` from other terminals through this store (fast)."""
        from maos_tui.commands.server import CommandServer

        server = CommandServer(self.store, self.workspace, self.config)
        try:
            await server.start()
        except OSError as exc:
            log.warning("not serving CLI commands: %s", exc)
            return
        self.server = server

    def toggle_pause(self) -> str:
        if self.scheduler is None:
            raise RuntimeError(f"the scheduler is {self.state}")
        if self.scheduler.state == "paused":
            self.scheduler.resume()
        else:
            self.scheduler.pause()
        return self.state

    async def stop(self) -> None:
        """Every caller (the signal handler, the app's exit) waits for the one stop."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        if self._takeover is not None:
            self._takeover.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._takeover
        for service in (self.server, self.alerts, self.scheduler, self.sync):
            if service is not None:
                try:
                    await service.stop()
                except Exception:
                    log.exception("stopping %r failed", service)
