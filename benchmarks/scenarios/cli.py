"""cli-add: `maos-tui task add` from process start to exit, as a shell script feels it."""

from __future__ import annotations

import subprocess
import time

from benchmarks.data import Shape, bench_workspace, build_board
from benchmarks.harness import Measured, Options, Target, median, scenario, summary

BOARD = Shape(tasks=1_000, done=800)


@scenario("cli-add", "`maos-tui task add` end to end, median", Target(250, "ms"))
def cli_add(options: Options) -> Measured:
    samples: list[float] = []
    with bench_workspace() as bench:
        build_board(bench, BOARD)
        env = bench.env()
        for i in range(options.runs(10, 2)):
            start = time.perf_counter()
            subprocess.run(
                bench.argv("task", "add", f"Added from the shell {i}"),
                env=env,
                check=True,
                capture_output=True,
            )
            samples.append(time.perf_counter() - start)
    return Measured(
        median(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; board of {BOARD.tasks:,} tasks",
    )
