"""assign-p95 and dispatch: the scheduler's own overhead, with agents that finish at once,
on SQLite and (the -pg ones) on PostgreSQL.

The instant runner is injected through `Scheduler(runner_factory=...)`; it is not an agent
kind and nothing outside the benchmarks and tests can choose it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from benchmarks.data import QUEUED, Bench, Shape, bench_workspace, populate
from benchmarks.harness import Measured, Options, Target, Unavailable, p95, scenario, summary
from benchmarks.postgres import postgres_bench
from maos_tui.events import Event

if TYPE_CHECKING:
    from maos_tui.store import Store

AGENTS = 10


class InstantRunner:
    """Completes every job at once, so only the scheduler and the store are timed."""

    async def run(self, job: Any, hooks: Any) -> Any:
        from maos_tui.agents.base import RunResult

        return RunResult.done(f"done {job.task.id}")


def _scheduler(bench: Bench, store: Store) -> Any:
    try:
        from maos_tui.config import Config
        from maos_tui.scheduler.core import Scheduler
    except ImportError as exc:
        raise Unavailable(f"scheduler not importable: {exc}") from None
    runner = InstantRunner()
    config = Config(data={"scheduler": {"max_parallel": AGENTS}})
    return Scheduler(store, bench.workspace, config, runner_factory=lambda _agent: runner)


# Far beyond any target: past this the scheduler is broken, not slow, and says so.
GIVE_UP_SECONDS = 120


async def _within(waiting: Awaitable[None], what: str) -> None:
    try:
        await asyncio.wait_for(waiting, GIVE_UP_SECONDS)
    except TimeoutError:
        raise Unavailable(f"{what} within {GIVE_UP_SECONDS}s") from None


async def _assigned(scheduler: Any, task_id: str, started: dict[str, float]) -> None:
    while task_id not in started or scheduler.active_runs:
        await asyncio.sleep(0.001)


async def _dispatch(bench: Bench, count: int) -> float:
    store = await bench.open_store()
    try:
        await populate(store, Shape(tasks=count, agents=AGENTS, agents_work=True, mix=QUEUED))
        scheduler = _scheduler(bench, store)
        start = time.perf_counter()
        await scheduler.start()
        try:
            await _within(scheduler.wait_idle(), f"{count} tasks were not all run")
            elapsed = time.perf_counter() - start
        finally:
            await scheduler.stop()
        done = (await store.tasks.counts()).get("done", 0)
    finally:
        await store.close()
    if done != count:
        raise AssertionError(f"only {done} of {count} tasks done")
    return count / elapsed


def _dispatch_measured(bench: Bench, options: Options) -> Measured:
    count = options.runs(500, 100)
    rate = asyncio.run(_dispatch(bench, count))
    return Measured(rate, f"{count:,} inbox tasks, {AGENTS} agents, max_parallel {AGENTS}")


@scenario("dispatch", "tasks completed per second, instant agents", Target(500, "/s", True))
def dispatch(options: Options) -> Measured:
    with bench_workspace() as bench:
        return _dispatch_measured(bench, options)


@scenario(
    "dispatch-pg",
    "tasks completed per second, instant agents, PostgreSQL, 1 worker",
    Target(None, "/s", True),
)
def dispatch_pg(options: Options) -> Measured:
    with postgres_bench() as bench:
        return _dispatch_measured(bench, options)


async def _assign(bench: Bench, queued: int, samples: int) -> list[float]:
    store = await bench.open_store()
    started: dict[str, float] = {}

    def on_event(event: Event) -> None:
        if event.activity is not None and event.activity.verb == "started" and event.task_id:
            started.setdefault(event.task_id, time.perf_counter())

    try:
        # Work nobody can take (no agent has the capability): scanned on every pass.
        shape = Shape(tasks=queued, agents=AGENTS, agents_work=True, mix=QUEUED, need="gpu")
        await populate(store, shape)
        scheduler = _scheduler(bench, store)
        await scheduler.start()
        store.bus.subscribe(on_event)
        latencies = []
        try:
            await scheduler.settle()
            for i in range(samples):
                task = await store.tasks.create(f"Runnable task {i}")
                runnable_at = time.perf_counter()
                # Not wait_idle(): the queued tasks keep the scheduler from ever being idle.
                await _within(_assigned(scheduler, task.id, started), f"{task.id} never ran")
                latencies.append(started[task.id] - runnable_at)
        finally:
            await scheduler.stop()
    finally:
        await store.close()
    return latencies


def _assign_measured(bench: Bench, options: Options) -> Measured:
    samples = asyncio.run(_assign(bench, 10_000, options.runs(30, 4)))
    return Measured(p95(samples) * 1000, f"{summary(samples, 'ms', 1000)}; {AGENTS} agents")


@scenario("assign-p95", "runnable task → assigned, p95, 10,000 queued", Target(50, "ms"))
def assign_p95(options: Options) -> Measured:
    with bench_workspace() as bench:
        return _assign_measured(bench, options)


@scenario(
    "assign-p95-pg", "runnable task → assigned, p95, 10,000 queued, PostgreSQL", Target(50, "ms")
)
def assign_p95_pg(options: Options) -> Measured:
    with postgres_bench() as bench:
        return _assign_measured(bench, options)
