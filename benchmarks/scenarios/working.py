"""working-render-1k / -10k and working-edit: the WORKING.md mirror, both directions.

Render figures time what the issue names, drawing the board into text (the current file
as layout, as the sync does) plus the crash-safe replace; the full store-change pass
(read the store, render, write, history) is reported alongside. The edit figure runs the
real `WorkingSync` and times an editor's save until the merge has committed.
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
    median,
    number,
    scenario,
    summary,
)
from maos_tui.events import Event

SMALL = Shape(tasks=1_000, done=800)
LARGE = Shape(tasks=10_000, done=8_000)


def _modules() -> Any:
    try:
        from maos_tui.working_md import atomic, board, parse, render, sync
    except ImportError as exc:
        raise Unavailable(f"WORKING.md sync not importable: {exc}") from None
    return atomic, board, parse, render, sync


async def _render(
    bench: Bench, shape: Shape, runs: int, pass_runs: int
) -> tuple[list[float], list[float]]:
    atomic, board_module, parse, render, sync = _modules()
    from maos_tui.domain import iso_z, utcnow

    store = await bench.open_store()
    draws, passes = [], []
    try:
        await populate(store, shape)
        board = await board_module.load_board(store)
        path = bench.workspace.working_md

        def draw(layout: Any) -> None:
            text = render.render_working(
                board, workspace_name=bench.workspace.name, updated=iso_z(utcnow()), layout=layout
            )
            atomic.atomic_write(path, text.encode("utf-8"))

        draw(None)  # the first file, which later renders use as their layout
        layout = parse.parse_working(path.read_text(encoding="utf-8"))
        for _ in range(runs):
            start = time.perf_counter()
            draw(layout)
            draws.append(time.perf_counter() - start)
        working = sync.WorkingSync(store, bench.workspace)
        if pass_runs:
            await working.sync_once()  # adopts the file written above (to it, a hand edit)
        for i in range(pass_runs):
            await store.tasks.edit("TASK-001", title=f"Renamed for pass {i}")
            start = time.perf_counter()
            await working.sync_once()
            passes.append(time.perf_counter() - start)
    finally:
        await store.close()
    return draws, passes


def _render_figure(shape: Shape, options: Options) -> Measured:
    with bench_workspace() as bench:
        # The whole pass is slow enough on 10k to blow the CI budget: full runs only.
        draws, passes = asyncio.run(_render(bench, shape, options.runs(15, 2), options.runs(3, 0)))
    whole = f"median {number(median(passes) * 1000)} ms" if passes else "not timed in --quick"
    return Measured(
        median(draws) * 1000,
        f"{summary(draws, 'ms', 1000)}; whole sync pass after a store change: {whole}; "
        f"{shape.tasks:,} tasks",
    )


@scenario("working-render-1k", "render + atomic write of WORKING.md, 1,000 tasks", Target(20, "ms"))
def working_render_1k(options: Options) -> Measured:
    return _render_figure(SMALL, options)


@scenario(
    "working-render-10k", "render + atomic write of WORKING.md, 10,000 tasks", Target(150, "ms")
)
def working_render_10k(options: Options) -> Measured:
    return _render_figure(LARGE, options)


async def _edit(bench: Bench, runs: int) -> list[float]:
    _, _, _, _, sync = _modules()
    store = await bench.open_store()
    seen: dict[str, float] = {}

    def on_event(event: Event) -> None:
        if event.activity is not None and event.activity.verb == "edited" and event.task_id:
            seen.setdefault(event.task_id, time.perf_counter())

    latencies = []
    try:
        await populate(store, SMALL)
        working = sync.WorkingSync(store, bench.workspace)
        await working.start()
        store.bus.subscribe(on_event)
        path = bench.workspace.working_md
        try:
            for i in range(runs):
                task_id = f"TASK-{i + 1:03d}"
                text = path.read_text(encoding="utf-8")
                before = f"- [{task_id}] Benchmark task number {i + 1} "
                if before not in text:
                    raise AssertionError(f"{task_id} not found in WORKING.md")
                saved = text.replace(before, f"- [{task_id}] Edited by hand {i + 1} ", 1)
                start = time.perf_counter()
                path.write_text(saved, encoding="utf-8")  # as an editor saves: in place
                while task_id not in seen:
                    await asyncio.sleep(0.002)
                latencies.append(seen[task_id] - start)
                await asyncio.sleep(0.4)  # let the rewrite that follows settle
        finally:
            await working.stop()
    finally:
        await store.close()
    return latencies


@scenario("working-edit", "hand edit saved → change visible in the store", Target(300, "ms"))
def working_edit(options: Options) -> Measured:
    with bench_workspace() as bench:
        samples = asyncio.run(_edit(bench, options.runs(10, 2)))
    return Measured(median(samples) * 1000, f"{summary(samples, 'ms', 1000)}; 1,000 tasks")
