"""startup-1k / startup-10k / rss-10k: the real `maos-tui` process in a pseudo-terminal.

`MAOS_BENCH_EXIT_AFTER_PAINT=1` makes the app exit right after the board's first full
paint and print `first paint <s>s at <monotonic>`. The monotonic stamp is the child's
`perf_counter()`, the same clock as ours, so launch → paint is measured from before the
spawn: interpreter start and every import count, as the user feels them.
`MAOS_BENCH_EXIT_WHEN_LOADED=1` makes it exit once the board is fully open instead (rss-10k).
"""

from __future__ import annotations

import re

from benchmarks.data import Bench, Shape, bench_workspace, build_board
from benchmarks.harness import Measured, Options, Target, Unavailable, median, scenario, summary
from benchmarks.terminal import Finished, run_in_pty

_PAINT = re.compile(r"first paint (?P<inside>[\d.]+)s(?: at (?P<at>[\d.]+))?")


def _launch(bench: Bench, *, warm_up: bool = False) -> tuple[float, Finished]:
    env = bench.warm_up_env if warm_up else bench.env
    done = run_in_pty(bench.argv(), env(MAOS_BENCH_EXIT_AFTER_PAINT="1"))
    found = _PAINT.search(done.output)
    if done.returncode != 0 or found is None:
        raise Unavailable(f"no first-paint report (exit {done.returncode}): {_tail(done)}")
    if found["at"] is None:
        raise Unavailable("the app reports no monotonic paint time")
    return float(found["at"]) - done.started, done


def _tail(done: Finished) -> str:
    return " | ".join(done.output.strip().splitlines()[-3:])


def _startup(shape: Shape, runs: int) -> list[float]:
    seconds = []
    with bench_workspace() as bench:
        build_board(bench, shape)
        # Unmeasured: the OS file cache and the bytecode caches warm, as for any second
        # launch of the day.
        _launch(bench, warm_up=True)
        for _ in range(runs):
            elapsed, _done = _launch(bench)
            seconds.append(elapsed)
    return seconds


def _peak_rss_loaded(shape: Shape, runs: int) -> list[float]:
    """Launches that exit once the board is fully open: the store loaded, every column
    read, the scheduler, WORKING.md sync and command server started. The first paint comes
    before the store is even imported, so its memory is not the open board's."""
    rss = []
    with bench_workspace() as bench:
        build_board(bench, shape)
        for _ in range(runs):
            done = run_in_pty(bench.argv(), bench.env(MAOS_BENCH_EXIT_WHEN_LOADED="1"))
            if done.returncode != 0:
                raise Unavailable(f"the app did not finish loading (exit {done.returncode}): "
                                  f"{_tail(done)}")  # fmt: skip
            rss.append(done.peak_rss_mb)
    return rss


def _board(shape: Shape) -> str:
    return f"{shape.tasks:,} tasks ({shape.done:,} done)"


SMALL = Shape(tasks=1_000, done=800)
LARGE = Shape(tasks=10_000, done=8_000)


@scenario("startup-1k", "launch → first board paint, 1,000 tasks", Target(0.6, "s"))
def startup_1k(options: Options) -> Measured:
    seconds = _startup(SMALL, options.runs(7, 1))
    return Measured(median(seconds), f"{summary(seconds, 's')}; {_board(SMALL)}")


@scenario("startup-10k", "launch → first board paint, 10,000 tasks", Target(1.0, "s"))
def startup_10k(options: Options) -> Measured:
    seconds = _startup(LARGE, options.runs(7, 1))
    return Measured(median(seconds), f"{summary(seconds, 's')}; {_board(LARGE)}")


@scenario("rss-10k", "peak RSS with the 10,000-task board open", Target(250, "MB"))
def rss_10k(options: Options) -> Measured:
    rss = _peak_rss_loaded(LARGE, options.runs(3, 1))
    how = f"max of {len(rss)} launches, board fully open with its services; {_board(LARGE)}"
    return Measured(max(rss), how)
