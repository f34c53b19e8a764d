"""insights-open: the insights screen on a board of 10,000 tasks and 100,000 runs, from the
key `I` to its figures shown: the store's four statements in the screen's worker, the
sparkline, the tables and the first frame drawn with them. The key goes in as the driver
sends it and the clock stops once every message it caused is handled (benchmarks/pumps.py,
as keys-10k does): Pilot's press waited besides for the process to stay idle through two
20 ms checks, which was timed as part of every sample.

Every run falls inside the screen's window (the last 14 days): the worst case, where each
of them counts. Runs and `completed` Activities go in with Core `insert()` in one
transaction, as `benchmarks.data.populate` puts the tasks in. Runs the real `MaosApp`
under Textual's `run_test` (headless, background services off); each sample opens the
screen afresh.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

from benchmarks.data import Bench, Shape, bench_workspace, populate
from benchmarks.harness import Measured, Options, Target, Unavailable, p95, scenario, summary
from benchmarks.pumps import Pumps

TASKS = 10_000
RUNS = 100_000
DONE = 6_000
SIZE = (120, 40)
# A run's kept output: what an LLM agent's tool calls leave there (agents/llm.py).
LOG = "[tool] read_file: src/module.py\n[tool] run_tests: 12 passed\nthe change is ready\n"


async def add_history(store: Any, agents: list[str]) -> None:
    """RUNS runs over the last 13 days, spread over the tasks (ten each on average), each
    task's work by one agent and its reviews by another, and a `completed` Activity
    for each done task (the done ones are the last DONE tasks, as `populate` makes them)."""
    from sqlalchemy import insert

    from maos_tui.domain import format_task_id
    from maos_tui.store.models import Activity, Run

    rng = random.Random(19)
    async with store.write() as tx:
        now = tx.now
        runs = []
        for _ in range(RUNS):
            started = now - timedelta(seconds=rng.randrange(60, 13 * 86400))
            ended = started + timedelta(seconds=rng.randrange(5, 1800))
            review = rng.random() < 0.2
            seq = rng.randrange(1, TASKS + 1)
            runs.append(
                {
                    "task_id": format_task_id(seq),
                    # A task's work goes to one agent, its reviews to another.
                    "agent_name": agents[(seq + review) % len(agents)],
                    "kind": "review" if review else "work",
                    "started_at": started,
                    "ended_at": ended,
                    "outcome": rng.choice(("done", "done", "done", "failed")),
                    "error": None,
                    "tokens_in": rng.randrange(500, 20_000),
                    "tokens_out": rng.randrange(100, 4_000),
                    "cost_usd": rng.random() / 10,
                    "output_log": LOG,
                    "last_progress_at": ended,
                }
            )
        # A task's runs follow one another, as the scheduler starts them.
        runs.sort(key=lambda run: run["started_at"])
        await tx.conn.execute(insert(Run), runs)
        done = [
            {
                "created_at": now - timedelta(seconds=rng.randrange(60, 13 * 86400)),
                "actor": "scheduler",
                "verb": "completed",
                "task_id": format_task_id(seq),
                "details": "{}",
            }
            for seq in range(TASKS - DONE + 1, TASKS + 1)
        ]
        await tx.conn.execute(insert(Activity), done)


async def _open(app: Any, pumps: Pumps, screen_type: type) -> float:
    """`I` sent as the driver sends it; the clock stops once the figures are in the
    widgets, every message that caused is handled and the screen is composited."""
    from textual import events

    event = events.Key("I", None)
    pumps.expected = event
    start = time.perf_counter()
    app._driver.send_message(event)
    while True:
        # The figures' worker awaits the store with every queue empty: wait for both.
        await pumps.settled(app)
        screen = app.screen
        if isinstance(screen, screen_type) and screen.insights is not None:
            break
        assert time.perf_counter() - start < 60, "the figures never came"
        await asyncio.sleep(0.001)
    # Composite now rather than at the next frame tick (≤ 1/60 s).
    screen._on_timer_update()
    return time.perf_counter() - start


async def _measure(bench: Bench, runs: int) -> tuple[list[float], int]:
    try:
        from maos_tui.config import load_config
        from maos_tui.tui.app import MaosApp
        from maos_tui.tui.screens.insights import InsightsScreen
    except ImportError as exc:
        raise Unavailable(f"TUI not importable: {exc}") from None
    store = await bench.open_store()
    samples: list[float] = []
    shown = 0
    pumps = Pumps()
    try:
        agents = await populate(store, Shape(tasks=TASKS, done=DONE))
        await add_history(store, agents)
        env = bench.env()
        app = MaosApp(bench.workspace, load_config(bench.workspace, env), store=store,
                      start_services=False, env=env)  # fmt: skip
        with pumps.tracking():
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                for _ in range(runs):
                    samples.append(await _open(app, pumps, InsightsScreen))
                    shown = app.screen.insights.completed
                    app.pop_screen()
                    await pilot.pause()
    finally:
        await store.close()
    return samples, shown


@scenario(
    "insights-open",
    f"insights screen, {TASKS:,} tasks and {RUNS:,} runs: key to figures, p95",
    Target(300, "ms"),
)
def insights_open(options: Options) -> Measured:
    with bench_workspace() as bench:
        samples, shown = asyncio.run(_measure(bench, options.runs(10, 2)))
    return Measured(
        p95(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; every run in the 14-day window, {shown:,} tasks done",
    )
