"""Run `maos-tui` in a pseudo-terminal, as a user does, and collect what it printed.

A pty (not a pipe) so Textual drives a real terminal of a known size and pays the real
rendering cost. `os.wait4` gives the child's own peak RSS, not the harness's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

COLUMNS, ROWS = 160, 48
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Finished:
    started: float  # perf_counter just before the spawn (CLOCK_MONOTONIC, shared by processes)
    output: str
    returncode: int
    peak_rss_mb: float


def _spawn(
    argv: Sequence[str], env: Mapping[str, str]
) -> tuple[int, float, subprocess.Popen[bytes]]:
    """The child on a new pty of COLUMNS x ROWS: (master fd, perf_counter before spawn, child)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    return master, started, proc


def run_in_pty(argv: Sequence[str], env: Mapping[str, str]) -> Finished:
    master, started, proc = _spawn(argv, env)
    try:
        output = _drain(master, proc)
    finally:
        os.close(master)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return Finished(started, output, proc.returncode, usage.ru_maxrss / 1024)


def _drain(master: int, proc: subprocess.Popen[bytes]) -> str:
    """Read until the child closes the terminal (EIO on Linux), killing it past the timeout."""
    chunks: list[bytes] = []
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while True:
        if time.perf_counter() > deadline:
            proc.kill()
            raise TimeoutError(f"{' '.join(proc.args)} did not exit within {TIMEOUT_SECONDS}s")  # type: ignore[arg-type]
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


@dataclass
class Live:
    """A `maos-tui` still running in its pty; its output is read on a thread meanwhile."""

    proc: subprocess.Popen[bytes]
    started: float  # perf_counter just before the spawn, as in Finished
    chunks: list[bytes] = field(default_factory=list)

    @property
    def output(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def cpu_seconds(self) -> float:
        """The child's user + system CPU time so far, all its threads (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_in_pty(argv: Sequence[str], env: Mapping[str, str]) -> Iterator[Live]:
    """The app in a pty for the body to watch; killed with its process group afterwards
    (the benchmark workspaces are thrown away, so nothing needs a clean exit)."""
    master, started, proc = _spawn(argv, env)
    live = Live(proc, started)

    def drain() -> None:
        # A pty nobody reads fills up and blocks the app's drawing.
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                live.chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield live
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(5)
        os.close(master)
