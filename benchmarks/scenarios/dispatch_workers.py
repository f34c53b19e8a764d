"""dispatch-pg-3: three scheduler workers, each its own process, share one PostgreSQL
board of instant tasks (compare dispatch-pg, one worker). Only the work is timed: each
worker has imported, opened the store and built its scheduler before the clock starts."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

from benchmarks.data import QUEUED, Bench, Shape, populate
from benchmarks.harness import Measured, Options, Target, Unavailable, scenario
from benchmarks.postgres import postgres_bench
from benchmarks.scenarios.scheduler import AGENTS, GIVE_UP_SECONDS, InstantRunner

WORKERS = 3


async def _work(url: str, root: str, name: str, ready: MpEvent, go: MpEvent) -> None:
    from maos_tui.config import Config, Workspace
    from maos_tui.scheduler.core import Scheduler
    from maos_tui.store import Store

    store = await Store.open(url)
    try:
        runner = InstantRunner()
        config = Config(data={"scheduler": {"max_parallel": AGENTS}})
        scheduler = Scheduler(
            store, Workspace(Path(root)), config, runner_factory=lambda _a: runner, worker=name
        )
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        await scheduler.start()
        try:
            async with asyncio.timeout(GIVE_UP_SECONDS):
                await scheduler.wait_idle()
        finally:
            await scheduler.stop()
    finally:
        await store.close()


def _worker(url: str, root: str, name: str, ready: MpEvent, go: MpEvent) -> None:
    asyncio.run(_work(url, root, name, ready, go))


async def _populate(bench: Bench, count: int) -> None:
    store = await bench.open_store()
    try:
        await populate(store, Shape(tasks=count, agents=AGENTS, agents_work=True, mix=QUEUED))
    finally:
        await store.close()


async def _done(bench: Bench) -> int:
    store = await bench.open_store()
    try:
        return (await store.tasks.counts()).get("done", 0)
    finally:
        await store.close()


def _dispatch(bench: Bench, count: int) -> float:
    asyncio.run(_populate(bench, count))
    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    readies = [spawn.Event() for _ in range(WORKERS)]
    workers = [
        spawn.Process(
            target=_worker, args=(bench.db_url, str(bench.root), f"w{n + 1}", readies[n], go)
        )
        for n in range(WORKERS)
    ]
    for process in workers:
        process.start()
    try:
        for ready in readies:
            if not ready.wait(GIVE_UP_SECONDS):
                raise Unavailable("a worker did not start")
        start = time.perf_counter()
        go.set()
        for process in workers:
            process.join(GIVE_UP_SECONDS)
        elapsed = time.perf_counter() - start
    finally:
        for process in workers:
            if process.is_alive():
                process.kill()
    if any(process.exitcode != 0 for process in workers):
        raise AssertionError(f"a worker failed: {[p.exitcode for p in workers]}")
    done = asyncio.run(_done(bench))
    if done != count:
        raise AssertionError(f"only {done} of {count} tasks done")
    return count / elapsed


@scenario(
    "dispatch-pg-3",
    "tasks completed per second, instant agents, PostgreSQL, 3 worker processes",
    Target(500, "/s", True),
)
def dispatch_pg_3(options: Options) -> Measured:
    count = options.runs(500, 100)
    with postgres_bench() as bench:
        rate = _dispatch(bench, count)
    return Measured(rate, f"{count:,} inbox tasks, {AGENTS} agents, max_parallel {AGENTS}")
