"""keys-10k: key press → the refresh that shows it, inside the app on a 10,000-task board.

Runs the real `MaosApp` under Textual's `run_test` (headless; background services off so
only the key path is timed). Each key is sent as the driver would send it; the clock stops
once the screen and its widgets have handled every message the key caused and the
screen has been re-composited. The wait for the next frame tick (≤ 1/60 s) is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class _Pumps:
    """Waits until the app has taken the key and handled every message it caused.

    A pump counts as busy from taking a message off its queue until it asks for the next
    one: the handler, the idle handlers and the callbacks run after it. A key whose action
    awaits the store leaves every queue empty while it waits, yet its redraw is still to
    come. (Pilot's wait_for_screen was used before: it posts a callback to each of the
    screen's ~60 widgets and waits for them all, ~10 ms of work per key that a real key
    press never does, so it was timed as part of every key.)"""

    def __init__(self) -> None:
        self.busy: set[Any] = set()
        self.expected: object | None = None
        self.changed: asyncio.Event | None = None

    @contextmanager
    def tracking(self) -> Iterator[None]:
        """Install before the app starts: a pump already waiting for its next message
        would take it unseen."""
        from textual.message_pump import MessagePump

        original = MessagePump._get_message
        changed = self.changed = asyncio.Event()

        async def get_message(pump: Any) -> Any:
            self.busy.discard(pump)
            changed.set()
            message = await original(pump)
            self.busy.add(pump)
            if message is self.expected:
                self.expected = None
            changed.set()
            return message

        MessagePump._get_message = get_message  # type: ignore[method-assign]
        try:
            yield
        finally:
            MessagePump._get_message = original  # type: ignore[method-assign]

    def _quiet(self, app: Any) -> bool:
        if self.expected is not None or any(not pump._closed for pump in self.busy):
            return False
        nodes = [app, *app.screen.walk_children(with_self=True)]
        return all(node._message_queue.empty() for node in nodes)

    async def settled(self, app: Any) -> None:
        changed = self.changed
        assert changed is not None, "settled() outside tracking()"
        while True:
            while not self._quiet(app):
                changed.clear()
                await changed.wait()
            # A task the last handler woke may not have run yet.
            await asyncio.sleep(0)
            if self._quiet(app):
                return


_PUMPS = _Pumps()


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
