"""events: activities persisted and delivered to bus subscribers, per second."""

from __future__ import annotations

import asyncio
import time

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, scenario
from maos_tui.events import Event


async def _rate(bench: Bench, count: int, per_tx: int) -> float:
    store = await bench.open_store()
    delivered = 0

    def count_event(event: Event) -> None:
        nonlocal delivered
        delivered += event.activity is not None

    store.bus.subscribe(count_event)
    try:
        start = time.perf_counter()
        for first in range(0, count, per_tx):
            async with store.write() as tx:
                for i in range(first, min(first + per_tx, count)):
                    await tx.activity("agent00", "progress", None, topic="run", step=i)
        elapsed = time.perf_counter() - start
    finally:
        await store.close()
    if delivered != count:
        raise AssertionError(f"{delivered} of {count} events delivered")
    return count / elapsed


@scenario("events", "activities persisted + delivered, per second", Target(5_000, "/s", True))
def events(options: Options) -> Measured:
    count = options.runs(5_000, 500)
    with bench_workspace() as bench:
        single = asyncio.run(_rate(bench, count, 1))
        batched = asyncio.run(_rate(bench, count, 50))
    return Measured(
        batched,
        f"{count:,} activities in transactions of 50; one per transaction: {single:,.0f}/s",
    )
