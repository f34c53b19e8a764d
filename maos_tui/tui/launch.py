"""Start the TUI from the CLI; store problems end with one clear line, not a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def launch(ctx: Context) -> int:
    from maos_tui.tui.app import MaosApp

    app = MaosApp(ctx)
    app.run()
    return int(app.return_code or 0)
