"""outside-latency: from another store's commit to the change feed's OUTSIDE event, p95.

The TUI checks for events every 0.2 s (tui/app.py) and must show another process's change
within 0.5 s: the feed has the rest."""

from __future__ import annotations

import asyncio
import time

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, p95, scenario, summary
from maos_tui.events import OUTSIDE, Event


async def _latencies(bench: Bench, count: int) -> list[float]:
    store = await bench.open_store()
    other = await bench.open_store()
    heard = asyncio.Event()

    def on_event(event: Event) -> None:
        if event.topic == OUTSIDE:
            heard.set()

    samples = []
    try:
        await store.changes.subscribe(on_event)
        for i in range(count):
            heard.clear()
            await other.tasks.create(f"from elsewhere {i}")
            start = time.perf_counter()
            async with asyncio.timeout(10):
                await heard.wait()
            samples.append(time.perf_counter() - start)
    finally:
        await other.close()
        await store.close()
    return samples


@scenario(
    "outside-latency", "another store's commit to the feed's event (SQLite), p95", Target(300, "ms")
)
def outside_latency(options: Options) -> Measured:
    with bench_workspace() as bench:
        samples = asyncio.run(_latencies(bench, options.runs(100, 10)))
    return Measured(p95(samples) * 1000, summary(samples, "ms", 1000))
