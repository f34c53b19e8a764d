"""`maos-tui insights [TASK] [--since 14d] [--json]`: the insights screen's figures, or what
one task's runs cost, for scripts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import arg_type
from maos_tui.domain import parse_task_id
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

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

SINCE = arg_type(parse_since)
TASK_ID = arg_type(parse_task_id)
# Throughput as one row of block characters: the CLI's small bar chart.
_BARS = " ▁▂▃▄▅▆▇█"
_MOST_BARS = 60


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    insights = sub.add_parser(
        "insights", help="throughput, time spent, agents and the costliest tasks", parents=[common]
    )
    insights.set_defaults(handler=run_insights)
    insights.add_argument("task", nargs="?", type=TASK_ID, metavar="TASK",
                          help="list this task's runs and tool calls instead")  # fmt: skip
    insights.add_argument(
        "--since",
        type=SINCE,
        default=parse_since(DEFAULT_SINCE),
        metavar="AGE",
        help=f"how far back: 90m, 12h, 7d, 2w (default {DEFAULT_SINCE})",
    )
    insights.add_argument("--json", action="store_true")


async def run_insights(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.store.insights_views import read_insights, read_task_cost

    async with ctx.store() as store:
        if args.task is not None:
            cost = await read_task_cost(store, args.task)
        else:
            found = await read_insights(store, args.since)
    if args.task is not None:
        if ctx.json:
            ctx.emit({"task_id": cost.task_id, "title": cost.title, "cost_usd": cost.cost_usd,
                      "runs": [r.to_json() for r in cost.runs]})  # fmt: skip
        else:
            _print_task(ctx, cost)
    elif ctx.json:
        ctx.emit(found.to_json())
    else:
        _print_insights(ctx, found)
    return 0


def bars(counts: list[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return _BARS[1] * len(counts)
    return "".join(_BARS[max(1, round(n / top * 8))] if n else _BARS[1] for n in counts)


def _spread_line(name: str, spread: Spread) -> str:
    return f"  {name:<8} {duration(spread.median):>9} {duration(spread.p90):>9} {spread.count:>7}"


def _print_insights(ctx: Context, found: Insights) -> None:
    out = ctx.out
    since = found.since.strftime("%Y-%m-%d %H:%M")
    out(f"Since {since} UTC: {found.completed} tasks done, {money(found.cost_usd)} spent")
    days = found.throughput
    unit, counts = "day", [n for _, n in days]
    if len(counts) > _MOST_BARS:  # a long window: one bar a week, the newest at the right
        unit = "week"
        counts = [sum(counts[max(0, end - 7) : end]) for end in range(len(counts), 0, -7)][::-1]
    counts = counts[-_MOST_BARS:]
    out(f"Done per {unit:<5} {bars(counts)}  ({len(counts)} {unit}s to {days[-1][0]}, "
        f"most {max(counts)})")  # fmt: skip
    out("")
    out(f"  {'time':<8} {'median':>9} {'p90':>9} {'count':>7}")
    for name, spread in (("wait", found.waits), ("run", found.runs), ("review", found.reviews)):
        out(_spread_line(name, spread))
    out("")
    out(f"  {'agent':<16} {'runs':>5} {'success':>8} {'done':>5} {'$/done':>9} "
        f"{'retries':>7} {'rounds':>6} {'cost':>9}")  # fmt: skip
    for a in found.agents:
        rate = "—" if a.success_rate is None else f"{a.success_rate:.0%}"
        out(f"  {a.agent:<16} {a.runs:>5} {rate:>8} {a.tasks_done:>5} "
            f"{money(a.cost_per_done):>9} {a.retries:>7} {a.review_rounds:>6} "
            f"{money(a.cost_usd):>9}")  # fmt: skip
    out("")
    out("Costliest tasks")
    for t in found.costliest:
        out(f"  {t.task_id:<9} {money(t.cost_usd):>9}  {t.title}")
        out(f"  {'':<9} {'':>9}  {t.why()}")
    if not found.costliest:
        out("  no runs in this window")


def _print_task(ctx: Context, cost: TaskCost) -> None:
    ctx.out(f"{cost.task_id} {cost.title}: {money(cost.cost_usd)} in {len(cost.runs)} runs")
    for r in cost.runs:
        ctx.out(f"  run {r.id:<6} {r.kind:<6} {r.agent:<16} {r.outcome or 'running':<10} "
                f"{duration(r.seconds):>8} {tokens(r.tokens_in + r.tokens_out):>7} tokens "
                f"{money(r.cost_usd):>8}")  # fmt: skip
        for call in r.tool_calls:
            ctx.out(f"      {call}")
