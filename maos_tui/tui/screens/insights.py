"""The insights screen (`I`): tasks done per day, how long runs wait, run and are reviewed,
each agent's figures and the costliest tasks; enter on one lists the runs and tool calls
that made up its cost. The figures load in a worker, so the screen paints at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Label, Sparkline, Static

from maos_tui.insights import (
    DEFAULT_SINCE,
    Insights,
    Spread,
    TaskCost,
    duration,
    money,
    parse_since,
    tokens,
)
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain_cell
from maos_tui.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp

WINDOW = parse_since(DEFAULT_SINCE)


def spreads_text(found: Insights) -> Text:
    lines = [f"{'':<8}{'median':>10}{'p90':>10}{'count':>8}"]
    for name, spread in (("wait", found.waits), ("run", found.runs), ("review", found.reviews)):
        lines.append(_spread_row(name, spread))
    text = Text("\n".join(lines))
    text.stylize("bold", 0, len(lines[0]))
    return text


def _spread_row(name: str, spread: Spread) -> str:
    return f"{name:<8}{duration(spread.median):>10}{duration(spread.p90):>10}{spread.count:>8}"


def summary_text(found: Insights) -> str:
    days = found.throughput
    busiest = max(days, key=lambda day: day[1])
    return (
        f"{found.completed} tasks done, {money(found.cost_usd)} spent\n"
        f"per day: most {busiest[1]}" + (f" ({busiest[0][5:]})" if busiest[1] else "") + "\n"
        f"{days[0][0][5:]} → {days[-1][0][5:]}"
    )


class CostliestTable(DataTable[object]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("costliest")


class InsightsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("insights")
    # Focused as the screen is composed, not in on_mount: the first paint then has the
    # table's focus style already, where a focus after it cost a restyle and a full repaint.
    AUTO_FOCUS = "CostliestTable"
    app: MaosApp

    def __init__(self) -> None:
        super().__init__(classes="insights")
        self.insights: Insights | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"Insights · the last {DEFAULT_SINCE}", classes="screen-title")
        yield Static("Reading the history…", id="insights-loading", classes="hint")
        with Horizontal(id="insights-top"):
            yield Sparkline([], id="insights-per-day")
            yield Static(id="insights-summary")
        yield Static(id="insights-spreads")
        yield DataTable(id="insights-agents", cursor_type="none", zebra_stripes=True)
        yield Label("Costliest tasks · enter: why", classes="section-title")
        yield CostliestTable(id="insights-costliest", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#insights-agents", DataTable).add_columns(
            "agent", "runs", "success", "done", "$/done", "retries", "rounds", "cost"
        )
        # The why in columns, the title last: at 80 columns only a long title is cut.
        self.query_one(CostliestTable).add_columns(
            "task", "cost", "runs", "retries", "rounds", "tokens", "tools", "title"
        )
        self.load()

    @work(exclusive=True, group="insights")
    async def load(self) -> None:
        from maos_tui.store.insights_views import read_insights

        found = await read_insights(self.app.store, WINDOW, now=self.app.clock())
        self.show(found)

    def show(self, found: Insights) -> None:
        self.insights = found
        self.query_one("#insights-loading").display = False
        self.query_one("#insights-per-day", Sparkline).data = [n for _, n in found.throughput]
        self.query_one("#insights-summary", Static).update(summary_text(found))
        self.query_one("#insights-spreads", Static).update(spreads_text(found))
        agents = self.query_one("#insights-agents", DataTable)
        agents.clear()
        for a in found.agents:
            rate = "—" if a.success_rate is None else f"{a.success_rate:.0%}"
            agents.add_row(plain_cell(a.agent), a.runs, rate, a.tasks_done,
                           money(a.cost_per_done), a.retries, a.review_rounds,
                           money(a.cost_usd))  # fmt: skip
        costliest = self.query_one(CostliestTable)
        costliest.clear()
        for t in found.costliest:
            costliest.add_row(t.task_id, money(t.cost_usd), t.runs, t.retries,
                              t.review_rounds, tokens(t.tokens_in + t.tokens_out),
                              t.tool_calls, plain_cell(t.title), key=t.task_id)  # fmt: skip
        if not found.costliest:
            costliest.add_row("", "", "", "", "", "", "", "no runs in this window")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        task_id = event.row_key.value
        if task_id:
            self.app.push_screen(TaskCostScreen(task_id))


class TaskCostScreen(Screen[None]):
    """What one task cost: each run (agent, outcome, time, tokens, cost) and under it the
    tool calls its output shows."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("task-cost")
    app: MaosApp

    def __init__(self, task_id: str) -> None:
        super().__init__(classes="insights")
        self.task_id = task_id
        self.cost: TaskCost | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.task_id, id="task-cost-title", classes="screen-title")
        yield DataTable(id="task-cost-runs", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "agent", "outcome", "time", "tokens", "cost", "tool calls")
        table.focus()
        self.load()

    @work(exclusive=True, group="task-cost")
    async def load(self) -> None:
        from maos_tui.store.insights_views import read_task_cost

        self.show(await read_task_cost(self.app.store, self.task_id))

    def show(self, cost: TaskCost) -> None:
        self.cost = cost
        title = f"{cost.task_id} {cost.title} · {money(cost.cost_usd)} in {len(cost.runs)} runs"
        self.query_one("#task-cost-title", Label).update(plain_cell(title))
        table = self.query_one(DataTable)
        table.clear()
        for r in cost.runs:
            table.add_row(f"{r.id} {r.kind}", plain_cell(r.agent), r.outcome or "running",
                          duration(r.seconds), tokens(r.tokens_in + r.tokens_out),
                          money(r.cost_usd), len(r.tool_calls))  # fmt: skip
            # Each call on a row of its own, in the last column: a long one is cut there.
            for call in r.tool_calls:
                table.add_row("", "", "", "", "", "", plain_cell(f"└ {call}"))
