"""The terminal channel of alerts (maos_tui/alerts/) in the TUI: its bell and OSC
notification sequences go out through the app's driver, as Textual's own bell does,
so they reach the terminal the app runs in (the browser's, under `maos-tui serve`)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App


def terminal_writer(app: App) -> Callable[[str], None]:
    def write(text: str) -> None:
        driver = app._driver
        if driver is None:
            raise OSError("the app has no terminal yet")
        driver.write(text)

    return write
