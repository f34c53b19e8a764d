"""The channels `[alerts]` turns on, and where `maos-tui run` writes the terminal one.
Light to import: `alerts test` and `doctor` use it without the scheduler."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from maos_tui.alerts.channels import Channel, CommandChannel, DesktopChannel, TerminalChannel
from maos_tui.alerts.webhook import WebhookChannel

if TYPE_CHECKING:
    from maos_tui.config_schema import AlertSettings

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
