"""The top line: workspace, scheduler state, task counts, what was spent and the likely
cost to finish, unread notifications (only when there are some) and a clock."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from maos_tui.domain import TaskStatus
from maos_tui.printable import printable
from maos_tui.tui.board_data import WHILE_FILLED
from maos_tui.tui.cards import money
from maos_tui.tui.to_go import approx
from maos_tui.tui.widgets.line import FixedLine

_SHORT = {
    TaskStatus.INBOX: "inbox",
    TaskStatus.ASSIGNED: "assigned",
    TaskStatus.IN_PROGRESS: "running",
    TaskStatus.REVIEW: "review",
    TaskStatus.DONE: "done",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
}
_STATE_STYLE = {"running": "$success", "paused": "$warning"}


class StatusHeader(FixedLine):
    def show(
        self,
        workspace: str,
        scheduler: str,
        counts: dict[str, int],
        cost: float,
        now: datetime,
        unread: int = 0,
        *,
        to_go: float | None = None,
    ) -> None:
        state_style = _STATE_STYLE.get(scheduler.split(" ", 1)[0], "$text-muted")
        tallies = " ".join(
            f"{label} {counts.get(status.value, 0)}"
            for status, label in _SHORT.items()
            if counts.get(status.value, 0) or status not in WHILE_FILLED
        )
        clock = now.astimezone().strftime("%H:%M")
        self.show_line(
            Content.assemble(
                (f" {printable(workspace)} ", "bold reverse $primary"),
                "  scheduler ",
                (printable(scheduler), f"bold {state_style}"),
                "  ",
                (tallies, "$text-muted"),
                "  ",
                # Without a forecast, no label: at 80 columns it would push the clock off.
                money(cost) if to_go is None else f"{money(cost)} spent · {approx(to_go)} to go",
                "  ",
                (f"✉ {unread} unread (N)  " if unread else "", "bold $warning"),
                (clock, "bold"),
            )
        )
