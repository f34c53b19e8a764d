"""`maos-tui forecast [ID]`: what the open tasks will likely cost to finish (forecast.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import arg_type
from maos_tui.domain import parse_task_id
from maos_tui.forecast import usd

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.forecast import Estimate, OpenTask, Rollup

TASK_ID = arg_type(parse_task_id)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    forecast = sub.add_parser(
        "forecast", help="what the open tasks will likely cost to finish", parents=[common]
    )
    forecast.set_defaults(handler=run_forecast)
    forecast.add_argument("id", nargs="?", type=TASK_ID, help="one task and its subtasks")
    forecast.add_argument("--json", action="store_true")


async def run_forecast(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.forecast import Forecaster, chain, chains, parent_rollups, subtree, total
    from maos_tui.store.history_views import forecast_inputs

    async with ctx.store() as store:
        if args.id is not None:
            await store.tasks.get(args.id)  # an unknown ID is an error, not an empty forecast
        inputs = await forecast_inputs(store)
    result = Forecaster(inputs.history).forecast(inputs.tasks)
    tasks = inputs.tasks
    if args.id is None:
        scope = result.board
        chained = chains(tasks, result.tasks)
    else:
        scope = total(args.id, result.tasks, subtree(args.id, inputs.parents))
        within = set(scope.tasks)
        tasks = [t for t in tasks if t.id in within]
        chained = [chain(args.id, inputs.tasks, result.tasks)] if args.id in within else []
    chained = [r for r in chained if len(r.tasks) > 1]  # a task waiting on nothing is no chain
    families = [r for r in parent_rollups(tasks, inputs.parents, result.tasks) if r.tasks]
    if args.id is not None:
        families = [r for r in families if r.id != args.id and r.id in scope.tasks]
    if ctx.json:
        ctx.emit(
            {
                "scope": args.id or "board",
                "spent_usd": round(result.spent_usd, 6),
                "likely_usd": round(scope.likely_usd, 6),
                "high_usd": round(scope.high_usd, 6),
                "tasks": [_task_json(t, result.tasks[t.id]) for t in tasks],
                "parents": [_rollup_json(r) for r in families],
                "chains": [_rollup_json(r) for r in chained],
            }
        )
        return 0
    _print(ctx, args.id, result.spent_usd, scope, tasks, result.tasks, families, chained)
    return 0


def _print(
    ctx: Context,
    task_id: str | None,
    spent: float,
    scope: Rollup,
    tasks: list[OpenTask],
    estimates: dict[str, Estimate],
    families: list[Rollup],
    chained: list[Rollup],
) -> None:
    what = f"{task_id} and its subtasks" if task_id else "board"
    count = len(scope.tasks)
    ctx.out(
        f"{what}: {usd(scope.likely_usd)} likely, {usd(scope.high_usd)} high to finish"
        f" ({count} open task{'s' if count != 1 else ''}); {usd(spent)} spent so far"
    )
    if tasks:
        ctx.out()
        ctx.out(f"{'TASK':<9} {'STATUS':<11} {'LIKELY':>9} {'HIGH':>9}  BASIS")
    for task in tasks:
        estimate = estimates[task.id]
        ctx.out(
            f"{task.id:<9} {task.status:<11} {usd(estimate.likely_usd):>9}"
            f" {usd(estimate.high_usd):>9}  {estimate.note}  · {task.title}"
        )
    for title, rollups in (("parents, with their subtasks", families), ("chains", chained)):
        if rollups:
            ctx.out()
            ctx.out(f"{title}:")
        for rollup in rollups:
            ctx.out(
                f"{rollup.id:<9} {usd(rollup.likely_usd):>9} likely {usd(rollup.high_usd):>9}"
                f" high  {' '.join(rollup.tasks)}"
            )


def _task_json(task: OpenTask, estimate: Estimate) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": task.id,
        "title": task.title,
        "status": task.status,
        "agent": task.agent,
        "model": task.model,
    }
    return fields | estimate.to_json()


def _rollup_json(rollup: Rollup) -> dict[str, object]:
    return {
        "id": rollup.id,
        "likely_usd": round(rollup.likely_usd, 6),
        "high_usd": round(rollup.high_usd, 6),
        "tasks": list(rollup.tasks),
    }
