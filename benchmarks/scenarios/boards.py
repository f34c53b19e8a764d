"""two-boards, two-boards-pg: a card moved on one board → the move drawn on another board
open on the same database, p95 (issue #15: within 0.5 s).

Both boards are real `MaosApp`s under Textual's `run_test`, each with its own Store (as two
processes would have), in one process: the second board shares the CPU with the first's
key handling, which a second machine would not. The key is sent as the driver would send
it (keys.py); the clock stops when the other board's column holds the card. That covers
the first board drawing and saving the move, the change feed noticing the commit (a
`data_version` poll on SQLite, LISTEN/NOTIFY on PostgreSQL), the other app's check for
events (every 0.2 s, or at once for the feed's event) and its reload and redraw.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, Unavailable, p95, scenario, summary
from benchmarks.postgres import postgres_bench

SIZE = (120, 36)
TARGET = Target(500, "ms")
DEADLINE_SECONDS = 10.0


def _cards(app: Any, status: str) -> list[str]:
    return [o.id for o in app.main_screen.query_one(f"#list-{status}").options if o.id]


async def _shown_after(mine: Any, theirs: Any, key: str, target: str) -> float:
    from textual import events

    start = time.perf_counter()
    mine._driver.send_message(events.Key(key, None))
    async with asyncio.timeout(DEADLINE_SECONDS):
        while _cards(theirs, target) != ["TASK-001"]:
            await asyncio.sleep(0.002)
    return time.perf_counter() - start


async def _measure(bench: Bench, rounds: int) -> list[float]:
    try:
        from maos_tui.config import load_config
        from maos_tui.tui.app import MaosApp
    except ImportError as exc:
        raise Unavailable(f"TUI not importable: {exc}") from None
    stores = [await bench.open_store(), await bench.open_store()]
    samples: list[float] = []
    try:
        await stores[0].tasks.create("Moved back and forth")
        env = bench.env()
        config = load_config(bench.workspace, env)
        mine, theirs = (
            MaosApp(bench.workspace, config, store=store, start_services=False, env=env)
            for store in stores
        )
        async with mine.run_test(size=SIZE) as pilot, theirs.run_test(size=SIZE):
            await pilot.pause()
            async with asyncio.timeout(DEADLINE_SECONDS):
                while _cards(theirs, "inbox") != ["TASK-001"]:
                    await asyncio.sleep(0.01)
            for _ in range(rounds):
                samples.append(await _shown_after(mine, theirs, "right_square_bracket", "assigned"))
                samples.append(await _shown_after(mine, theirs, "left_square_bracket", "inbox"))
    finally:
        for store in stores:
            await store.close()
    return samples


def _run(bench: Bench, options: Options) -> Measured:
    samples = asyncio.run(_measure(bench, options.runs(20, 2)))
    return Measured(p95(samples) * 1000, summary(samples, "ms", 1000))


@scenario("two-boards", "a move on one board → shown on another (SQLite), p95", TARGET)
def two_boards(options: Options) -> Measured:
    with bench_workspace() as bench:
        return _run(bench, options)


@scenario("two-boards-pg", "a move on one board → shown on another (PostgreSQL), p95", TARGET)
def two_boards_pg(options: Options) -> Measured:
    with postgres_bench() as bench:
        return _run(bench, options)
