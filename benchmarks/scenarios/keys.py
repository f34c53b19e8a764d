"""keys-10k: key press → the refresh that shows it, inside the app on a 10,000-task board.

Runs the real `MaosApp` under Textual's `run_test` (headless; background services off so
only the key path is timed). Each key is sent as the driver would send it; the clock stops
once the screen and its widgets have handled every message the key caused and the
screen has been re-composited. The wait for the next frame tick (≤ 1/60 s) is not counted.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchmarks.data import Bench, Shape, bench_workspace, populate
from benchmarks.harness import (
    Measured,
    Options,
    Target,
    Unavailable,
    number,
    p95,
    scenario,
    summary,
)
from benchmarks.pumps import Pumps

BOARD = Shape(tasks=10_000, done=8_000)
SIZE = (160, 48)
# One round: walk a column, hop columns, move a card right then back (both write the store).
NAVIGATE = ["down"] * 6 + ["right", "down", "up", "left", "up"]
MOVE = ["right_square_bracket", "left_square_bracket"]


async def _press(app: Any, key: str) -> float:
    from textual import events

    event = events.Key(key, None)
    _PUMPS.expected = event
    start = time.perf_counter()
    app._driver.send_message(event)
    await _PUMPS.settled(app)
    app.screen._on_timer_update()  # composite now rather than at the next frame tick
    return time.perf_counter() - start


_PUMPS = Pumps()


async def _measure(bench: Bench, rounds: int) -> tuple[list[float], list[float]]:
    try:
        from maos_tui.config import load_config
        from maos_tui.tui.app import MaosApp
    except ImportError as exc:
        raise Unavailable(f"TUI not importable: {exc}") from None
    store = await bench.open_store()
    navigate: list[float] = []
    move: list[float] = []
    try:
        await populate(store, BOARD)
        env = bench.env()
        app = MaosApp(
            bench.workspace,
            load_config(bench.workspace, env),
            store=store,
            start_services=False,
            env=env,
        )
        with _PUMPS.tracking():
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                for _ in range(rounds):
                    for key in NAVIGATE:
                        navigate.append(await _press(app, key))
                    for key in MOVE:
                        move.append(await _press(app, key))
    finally:
        await store.close()
    return navigate, move


@scenario("keys-10k", "navigation and move-card keys, p95, 10,000 tasks", Target(30, "ms"))
def keys_10k(options: Options) -> Measured:
    with bench_workspace() as bench:
        navigate, move = asyncio.run(_measure(bench, options.runs(20, 2)))
    both = navigate + move
    return Measured(
        p95(both) * 1000,
        f"all keys {summary(both, 'ms', 1000)}; moves only: p95 {number(p95(move) * 1000)} ms",
    )
