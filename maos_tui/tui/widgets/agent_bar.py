"""One chip per agent: a status dot and name, its current task, heartbeat age and cost.

Chips condense (dropping the figures) when they don't all fit, and the bar scrolls
sideways when even the condensed chips are too many.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from maos_tui.agents.readiness import chip_reason, shown
from maos_tui.domain import AgentRecord
from maos_tui.printable import printable
from maos_tui.tui.cards import age, money
from maos_tui.tui.widgets.line import FixedLine


def chip(agent: AgentRecord, task_id: str | None, now: datetime, *, full: bool) -> Content:
    colour = f"$status-{agent.status.value}"
    parts: list[Content | tuple[str, str] | str] = [
        ("●", colour),
        " ",
        (printable(agent.name), "bold"),
        " ",
        (agent.status.value, colour),
    ]
    reason = chip_reason(agent)
    if reason and full:
        parts += [" ", (f"({printable(reason)})", "$text-muted")]
    if task_id:
        parts += [" ", (task_id, "$accent")]
    if full:
        if agent.last_heartbeat is not None:
            parts += [" ♥", age(agent.last_heartbeat, now)]
        parts += [" ", (money(agent.cost_usd), "$text-muted")]
    return Content.assemble(*parts)


class AgentBar(FixedLine):
    def show(self, agents: list[AgentRecord], tasks: dict[str, str], now: datetime) -> None:
        agents = shown(agents, getattr(self.app, "config", None))
        if not agents:
            self.show_line(
                Content.styled(
                    " no agents yet: press A to add one, S for the starter team", "$text-muted"
                )
            )
            return
        separator = Content.styled(" │ ", "$text-muted")
        full = separator.join(chip(a, tasks.get(a.name), now, full=True) for a in agents)
        width = self.size.width or self.app.size.width
        if full.cell_length <= width:
            self.show_line(full)
            return
        self.show_line(separator.join(chip(a, tasks.get(a.name), now, full=False) for a in agents))
