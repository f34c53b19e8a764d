"""forecast-accuracy: how close the cost-to-finish forecast (maos_tui/forecast.py) comes.

A plan's history is generated, the same every time (a seeded random generator), with the
variance real runs have: three agents on models of different price, each run's cost drawn
from a log-normal around its agent's price, retries when a run fails (a quarter of them),
and zero to two review rounds at a reviewer's price. Every task's runs are written to a
real store; the first half of the tasks are done, the second half are open and have not
run. The forecast reads the store (store/history_views.py) as `maos-tui forecast` does and
predicts the second half from the first; the headline is the board total's error, the
detail the per-task median error and how often a task stayed under its high figure.

forecast-read: the same read and forecast at 10,000 tasks and 100,000 runs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, scenario, summary

if TYPE_CHECKING:
    from maos_tui.store import Store

SEED = 19
PLAN_TASKS = 2_000  # half done, half forecast
# (agent, model, median cost of one work run in USD)
AGENTS = (
    ("coder", "openai/gpt-4o-mini", 0.04),
    ("senior", "anthropic/claude-sonnet-4-5", 0.60),
    ("local", "ollama/llama3.1", 0.002),
)
REVIEWER, REVIEW_COST = "qa", 0.15
SIGMA = 0.6  # spread of one run's cost around its agent's median (log-normal)
FAIL_RATE = 0.25
MAX_RUNS = 4  # 1 + max_retries
REVIEW_ROUNDS = (0, 0, 1, 1, 1, 2)  # how many review runs a task takes, equally likely
TOKENS_PER_USD = 200_000
_START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PlannedRun:
    task: int
    agent: str
    kind: str
    cost: float


def generate(tasks: int, rand: random.Random) -> tuple[dict[int, str], list[PlannedRun]]:
    """Each task's agent and every run it takes, task by task."""
    owners: dict[int, str] = {}
    runs: list[PlannedRun] = []
    for task in range(1, tasks + 1):
        agent, _model, price = rand.choice(AGENTS)
        owners[task] = agent
        for attempt in range(MAX_RUNS):
            runs.append(PlannedRun(task, agent, "work", price * rand.lognormvariate(0, SIGMA)))
            if attempt == MAX_RUNS - 1 or rand.random() >= FAIL_RATE:
                break
        for _ in range(rand.choice(REVIEW_ROUNDS)):
            cost = REVIEW_COST * rand.lognormvariate(0, SIGMA)
            runs.append(PlannedRun(task, REVIEWER, "review", cost))
    return owners, runs


async def _record(store: Store, owners: dict[int, str], runs: list[PlannedRun]) -> None:
    """The first half done with its runs; the second half assigned to its agent, not run."""
    from sqlalchemy import insert, update

    from maos_tui.domain import format_task_id
    from maos_tui.store.models import Counter, Run, Task, TaskAssignee

    for name, model, _ in AGENTS:
        await store.agents.add(name, model=model)
    await store.agents.add(REVIEWER, model="anthropic/claude-sonnet-4-5", capabilities=["review"])
    half = len(owners) // 2
    async with store.write() as tx:
        rows = [_task(format_task_id(n), n, "done" if n <= half else "assigned") for n in owners]
        await tx.conn.execute(insert(Task), rows)
        assigned = [{"task_id": format_task_id(n), "agent_name": a} for n, a in owners.items()]
        await tx.conn.execute(insert(TaskAssignee), assigned)
        done = [_run(format_task_id(r.task), r) for r in runs if r.task <= half]
        await tx.conn.execute(insert(Run), done)
        await tx.conn.execute(update(Counter).where(Counter.name == "task").values(value=half * 2))


def _task(task_id: str, seq: int, status: str) -> dict[str, Any]:
    return {
        "id": task_id,
        "seq": seq,
        "title": f"Forecast benchmark task {seq}",
        "status": status,
        "created_at": _START,
        "updated_at": _START,
    }


def _run(task_id: str, run: PlannedRun) -> dict[str, Any]:
    tokens = round(run.cost * TOKENS_PER_USD)
    return {
        "task_id": task_id,
        "agent_name": run.agent,
        "kind": run.kind,
        "started_at": _START,
        "ended_at": _START + timedelta(minutes=3),
        "outcome": "done",
        "tokens_in": tokens * 4 // 5,
        "tokens_out": tokens - tokens * 4 // 5,
        "cost_usd": run.cost,
        "output_log": "",
    }


async def _accuracy(bench: Bench, tasks: int) -> Measured:
    from maos_tui.domain import format_task_id
    from maos_tui.forecast import Forecaster
    from maos_tui.store.history_views import forecast_inputs

    owners, runs = generate(tasks, random.Random(SEED))
    store = await bench.open_store()
    try:
        await _record(store, owners, runs)
        inputs = await forecast_inputs(store)
    finally:
        await store.close()
    result = Forecaster(inputs.history).forecast(inputs.tasks)
    actual: dict[str, float] = {}
    for run in runs:
        if run.task > tasks // 2:
            key = format_task_id(run.task)
            actual[key] = actual.get(key, 0.0) + run.cost
    total = sum(actual.values())
    board_error = abs(result.board.likely_usd - total) / total * 100
    errors = [abs(result.tasks[t].likely_usd - cost) / cost * 100 for t, cost in actual.items()]
    under_high = sum(cost <= result.tasks[t].high_usd for t, cost in actual.items())
    return Measured(
        board_error,
        f"{len(actual)} open tasks forecast from {tasks // 2} done ({len(runs)} runs in all):"
        f" board likely ${result.board.likely_usd:,.2f} (high ${result.board.high_usd:,.2f})"
        f" against ${total:,.2f} spent; per task: median error"
        f" {statistics.median(errors):.0f}%, {under_high * 100 // len(actual)}% stayed under"
        " their high figure",
    )


@scenario(
    "forecast-accuracy",
    "cost to finish: board total's error, forecasting a plan's second half from its first",
    Target(15, "%"),
)
def forecast_accuracy(options: Options) -> Measured:
    # The same plan with --quick: it takes a second, and a smaller one measures sampling
    # noise (a few dear tasks decide a small board's total) rather than the forecast.
    with bench_workspace() as bench:
        return asyncio.run(_accuracy(bench, PLAN_TASKS))


async def _read_times(bench: Bench, tasks: int, rounds: int) -> tuple[list[float], int]:
    from maos_tui.forecast import Forecaster
    from maos_tui.store.history_views import forecast_inputs

    owners, runs = generate(tasks, random.Random(SEED))
    # Each run ten times over: ~21 runs per done task, ~100,000 at 10,000 tasks.
    runs = [run for run in runs for _ in range(10)]
    store = await bench.open_store()
    samples = []
    try:
        await _record(store, owners, runs)
        for _ in range(rounds):
            start = time.perf_counter()
            inputs = await forecast_inputs(store)
            Forecaster(inputs.history).forecast(inputs.tasks)
            samples.append(time.perf_counter() - start)
    finally:
        await store.close()
    return samples, sum(r.task <= tasks // 2 for r in runs)


@scenario(
    "forecast-read",
    "read the history and forecast every open task, 10k tasks / ~100k runs (SQLite), median",
    Target(None, "ms"),
)
def forecast_read(options: Options) -> Measured:
    tasks = options.runs(10_000, 1_000)
    with bench_workspace() as bench:
        samples, runs = asyncio.run(_read_times(bench, tasks, options.runs(5, 2)))
    detail = f"{tasks:,} tasks, {runs:,} runs: {summary(samples, 'ms', 1000)}"
    return Measured(statistics.median(samples) * 1000, detail)
