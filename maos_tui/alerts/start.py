"""Alerts from `[alerts]`, for the process that runs the scheduler (`maos-tui run`, the
TUI holding the scheduler lock). Nothing here may stop the scheduler: a problem is
logged and the scheduler runs without alerts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from maos_tui.alerts.configured import Write, channels_of
from maos_tui.alerts.delivery import Delivery, RetryPolicy
from maos_tui.alerts.watcher import AlertWatcher

if TYPE_CHECKING:
    from maos_tui.scheduler import Scheduler

log = logging.getLogger(__name__)


async def start_alerts(
    scheduler: Scheduler, terminal: Write | None, why_not: str = "no terminal"
) -> AlertWatcher | None:
    """The alerts of a started scheduler's workspace; None when no channel is on, or they
    could not start. `terminal` writes to the app's terminal (None: there is none, why_not
    says why)."""
    store = scheduler.store
    channels = channels_of(scheduler.config.alerts(), terminal, why_not)
    # Without a terminal to write to, a terminal-only setup (the default) has nothing to
    # send, and then nothing is watched.
    channels = [c for c in channels if terminal is not None or c.name != "terminal"]
    if not channels:
        return None
    delivery = Delivery(channels, store.alerts.record_channel, RetryPolicy())
    watcher = AlertWatcher(
        store,
        delivery,
        workspace=scheduler.workspace.name,
        budget_reason=lambda: scheduler.reason,
    )
    try:
        await watcher.start()
    except Exception as exc:
        log.error("alerts are off: %s", exc)
        return None
    return watcher
