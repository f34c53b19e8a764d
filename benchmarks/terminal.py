"""Run `maos-tui` in a pseudo-terminal, as a user does, and collect what it printed.

A pty (not a pipe) so Textual drives a real terminal of a known size and pays the real
rendering cost. `os.wait4` gives the child's own peak RSS, not the harness's.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COLUMNS, ROWS = 160, 48
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Finished:
    started: float  # perf_counter just before the spawn (CLOCK_MONOTONIC, shared by processes)
    output: str
    returncode: int
    peak_rss_mb: float


def run_in_pty(argv: Sequence[str], env: Mapping[str, str]) -> Finished:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
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
