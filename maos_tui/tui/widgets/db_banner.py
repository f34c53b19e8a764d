"""The line under the header while the database cannot be reached (tui/db_status.py says
when): what is wrong, since when, and what happens to the changes made meanwhile."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from maos_tui.printable import printable
from maos_tui.tui.widgets.line import FixedLine


class DbBanner(FixedLine):
    def show(self, since: datetime, cause: str, waiting: int, not_saved: list[str]) -> None:
        clock = since.astimezone().strftime("%H:%M:%S")
        parts = [f"since {clock}", "the board shows the last read"]
        if waiting:
            parts.append(f"{waiting} change{'s' if waiting > 1 else ''} waiting to be saved")
        if not_saved:
            parts.append(f"NOT SAVED: {'; '.join(not_saved[-3:])}")
        self.show_line(
            Content.assemble(
                (" ⚠ database unavailable, retrying ", "bold reverse $error"),
                "  ",
                (" · ".join(parts), "bold"),
                "  ",
                (printable(cause), "$text-muted"),
            )
        )
