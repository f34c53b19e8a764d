"""startup-idle-1k / startup-idle-10k: launch until the app has gone quiet.

The first paint comes early; the store opening, the full board read, WORKING.md's first
pass and the scheduler's start follow it, and keys pressed meanwhile wait. This measures
until all of that is over: from before the spawn to the start of the first second in
which the app used under 5% of a core (its timers, redrawing the clock and polling for
commits, use about 1%). CPU time is the child's own, from /proc.
"""

from __future__ import annotations

import time

from benchmarks.data import Bench, Shape, bench_workspace, build_board
from benchmarks.harness import Measured, Options, Target, Unavailable, median, scenario, summary
from benchmarks.scenarios.startup import LARGE, SMALL
from benchmarks.terminal import Live, running_in_pty

QUIET_WINDOW = 1.0
QUIET_SHARE = 0.05
SAMPLE_SECONDS = 0.02
GIVE_UP_SECONDS = 120.0


def went_quiet(live: Live) -> tuple[float, float]:
    """(seconds from the spawn until the app went quiet, CPU seconds it used until then)."""
    samples: list[tuple[float, float]] = []
    while True:
        if live.proc.poll() is not None:
            raise Unavailable(f"the app exited ({live.proc.returncode}): {live.output[-300:]}")
        now = time.perf_counter()
        if now - live.started > GIVE_UP_SECONDS:
            raise Unavailable(f"the app was still busy after {GIVE_UP_SECONDS:.0f}s")
        cpu = live.cpu_seconds()
        samples.append((now, cpu))
        begun = [s for s in samples if s[0] <= now - QUIET_WINDOW]
        if begun:
            since, cpu_then = begun[-1]
            if cpu - cpu_then <= QUIET_SHARE * (now - since):
                return since - live.started, cpu_then
        time.sleep(SAMPLE_SECONDS)


def _launches(bench: Bench, runs: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    with running_in_pty(bench.argv(), bench.warm_up_env()) as live:
        went_quiet(live)  # unmeasured: caches warm, WORKING.md written once
    for _ in range(runs):
        with running_in_pty(bench.argv(), bench.env()) as live:
            wall, cpu = went_quiet(live)
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def _measure(shape: Shape, runs: int) -> Measured:
    with bench_workspace() as bench:
        build_board(bench, shape)
        walls, cpus = _launches(bench, runs)
    return Measured(
        median(walls),
        f"{summary(walls, 's')}; CPU {median(cpus):.2f} s (median); "
        f"{shape.tasks:,} tasks ({shape.done:,} done)",
    )


@scenario("startup-idle-1k", "launch → app quiet (all start-up work done), 1,000 tasks",
          Target(1.5, "s"))  # fmt: skip
def startup_idle_1k(options: Options) -> Measured:
    return _measure(SMALL, options.runs(5, 1))


@scenario("startup-idle-10k", "launch → app quiet (all start-up work done), 10,000 tasks",
          Target(2.5, "s"))  # fmt: skip
def startup_idle_10k(options: Options) -> Measured:
    return _measure(LARGE, options.runs(5, 1))
