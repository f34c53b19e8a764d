"""Alerts from `[alerts]`, for the process that runs the scheduler (`maos-tui run`, the
TUI holding the scheduler lock). Nothing here may stop the scheduler: a problem is
logged and the scheduler runs without alerts."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from maos_tui.alerts.channels import Channel, CommandChannel, DesktopChannel, TerminalChannel
from maos_tui.alerts.delivery import Delivery, RetryPolicy
from maos_tui.alerts.watcher import AlertWatcher
from maos_tui.alerts.webhook import WebhookChannel

if TYPE_CHECKING:
    from maos_tui.config_schema import AlertSettings
    from maos_tui.scheduler import Scheduler
    from maos_tui.store import Store

log = logging.getLogger(__name__)

Write = Callable[[str], None]


def stderr_writer() -> tuple[Write | None, str]:
    """`maos-tui run` writes the terminal channel to stderr, when that is a terminal: its
    stdout is the Activity lines (often piped to a program), and escape sequences in a
    log file would only be noise. Returns (writer, why there is none)."""
    if not sys.stderr.isatty():
        return None, "stderr is not a terminal"

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    return write, ""


def channels_of(
    settings: AlertSettings, terminal: Write | None, why_not: str = "no terminal"
) -> list[Channel]:
    found: list[Channel] = []
    if settings.terminal:
        found.append(TerminalChannel(terminal, tmux=bool(os.environ.get("TMUX")), why_not=why_not))
    if settings.desktop:
        found.append(DesktopChannel())
    if settings.webhook:
        found.append(WebhookChannel(settings.webhook, settings.webhook_format))
    if settings.command:
        found.append(CommandChannel(list(settings.command)))
    return found


async def start_alerts(
    scheduler: Scheduler, terminal: Write | None, why_not: str = "no terminal"
) -> AlertWatcher | None:
    """The alerts of a started scheduler's workspace; None when no channel is on, or they
    could not start. `terminal` writes to the app's terminal (None: there is none, why_not
    says why)."""
    store = scheduler.store
    channels = channels_of(scheduler.config.alerts(), terminal, why_not)
    if not channels:
        return None
    delivery = Delivery(channels, AlertLogReport(store), RetryPolicy())
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


class AlertLogReport:
    """Delivery's channel states, recorded in the store for `doctor`."""

    def __init__(self, store: Store) -> None:
        from maos_tui.store.alerts import AlertLog

        self._log = AlertLog(store)

    async def __call__(self, channel: str, failing: bool, message: str) -> None:
        await self._log.record_channel(channel, failing=failing, message=message)
