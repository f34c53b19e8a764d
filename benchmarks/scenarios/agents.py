"""agent-register: `agent add` through the store in process, p95."""

from __future__ import annotations

import asyncio
import time

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, p95, scenario, summary


async def _register(bench: Bench, count: int) -> list[float]:
    store = await bench.open_store()
    samples = []
    try:
        for i in range(count):
            start = time.perf_counter()
            await store.agents.add(f"coder{i}", model="ollama/none", capabilities=["python"])
            samples.append(time.perf_counter() - start)
    finally:
        await store.close()
    return samples


@scenario("agent-register", "`agent add` in process, p95", Target(10, "ms"))
def agent_register(options: Options) -> Measured:
    with bench_workspace() as bench:
        samples = asyncio.run(_register(bench, options.runs(300, 30)))
    return Measured(p95(samples) * 1000, summary(samples, "ms", 1000))
