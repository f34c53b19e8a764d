"""One-shot CLI commands from process start to exit, as a shell script feels them.

cli-add: `maos-tui task add`, twice: with nothing else open (the command writes and
rewrites WORKING.md itself), and with `maos-tui run` open, which serves task commands over
its socket. cli-list, cli-show, cli-status: the read commands with nothing open.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.data import Bench, Shape, bench_workspace, build_board
from benchmarks.harness import Measured, Options, Target, Unavailable, median, scenario, summary

BOARD = Shape(tasks=1_000, done=800)
TARGET = Target(250, "ms")
READ_TARGET = Target(300, "ms")


def _adds(bench: Bench, runs: int) -> list[float]:
    samples: list[float] = []
    env = bench.env()
    # One unmeasured add first: bytecode caches current, and WORKING.md written once, as
    # `init` leaves it.
    subprocess.run(
        bench.argv("task", "add", "Warm-up"),
        env=bench.warm_up_env(),
        check=True,
        capture_output=True,
    )
    for i in range(runs):
        start = time.perf_counter()
        subprocess.run(
            bench.argv("task", "add", f"Added from the shell {i}"),
            env=env,
            check=True,
            capture_output=True,
        )
        samples.append(time.perf_counter() - start)
    return samples


def _reads(bench: Bench, args: tuple[str, ...], runs: int) -> list[float]:
    samples: list[float] = []
    env = bench.env()
    # One unmeasured run first, as for _adds: bytecode caches current.
    subprocess.run(bench.argv(*args), env=bench.warm_up_env(), check=True, capture_output=True)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(bench.argv(*args), env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def _read_scenario(name: str, args: tuple[str, ...]) -> None:
    command = " ".join(args)

    @scenario(name, f"`maos-tui {command}` end to end, median, nothing open", READ_TARGET)
    def read(options: Options) -> Measured:
        with bench_workspace() as bench:
            build_board(bench, BOARD)
            samples = _reads(bench, args, options.runs(10, 2))
        return Measured(
            median(samples) * 1000,
            f"{summary(samples, 'ms', 1000)}; board of {BOARD.tasks:,} tasks",
        )


_read_scenario("cli-list", ("task", "list"))
_read_scenario("cli-show", ("task", "show", "TASK-500"))
_read_scenario("cli-status", ("status",))


@contextmanager
def _served(bench: Bench) -> Iterator[None]:
    """`maos-tui run` in the workspace, once its socket answers."""
    from maos_tui.commands.remote import socket_path

    path = socket_path(bench.workspace)
    run = subprocess.Popen(
        bench.argv("run"), env=bench.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(str(path)):
            if run.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("`maos-tui run` did not start serving")
            time.sleep(0.05)
        yield
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(30)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()


def _answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.connect(path)
        except OSError:
            return False
    return True


@scenario("cli-add", "`maos-tui task add` end to end, median, nothing open", TARGET)
def cli_add(options: Options) -> Measured:
    with bench_workspace() as bench:
        build_board(bench, BOARD)
        samples = _adds(bench, options.runs(10, 2))
    return Measured(
        median(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; board of {BOARD.tasks:,} tasks",
    )


@scenario("cli-add-served", "`maos-tui task add`, median, with `run` open", TARGET)
def cli_add_served(options: Options) -> Measured:
    with bench_workspace() as bench:
        build_board(bench, BOARD)
        with _served(bench):
            samples = _adds(bench, options.runs(10, 2))
    return Measured(
        median(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; board of {BOARD.tasks:,} tasks, served by `run`",
    )
