"""Running a configured argv (setup, an agent's `run_command`): no shell, a timeout that kills
the whole process group, and output kept within a cap (its head and its tail)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from maos_tui.worktrees.errors import WorktreeError

_CHUNK = 65536


@dataclass(frozen=True)
class Ran:
    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    output: str  # stdout and stderr interleaved, as a terminal would show them
    omitted: int  # bytes dropped from the middle to stay within the cap

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])

    def status(self) -> str:
        if self.returncode is None:
            return "timed out"
        return "exit 0" if self.ok else f"exit {self.returncode}"


class _Capped:
    """The first and last `cap // 2` bytes of a stream, and how many were dropped between."""

    def __init__(self, cap: int) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.half = max(cap // 2, 1)
        self.omitted = 0

    def add(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > self.half:
            cut = len(self.tail) - self.half
            self.omitted += cut
            del self.tail[:cut]

    def text(self) -> str:
        middle = f"\n[... {self.omitted} bytes omitted ...]\n" if self.omitted else ""
        decode = lambda b: bytes(b).decode("utf-8", errors="replace")  # noqa: E731
        return decode(self.head) + middle + decode(self.tail)


def run_capped(
    argv: Sequence[str],
    cwd: Path,
    *,
    timeout: float,
    cap: int,
    env: Mapping[str, str] | None = None,
) -> Ran:
    """Run argv in cwd; WorktreeError only when it cannot start at all."""
    if not argv or not all(isinstance(a, str) and a for a in argv):
        raise WorktreeError("a command must be a non-empty list of non-empty strings")
    try:
        child = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
    except FileNotFoundError as exc:
        raise WorktreeError(f"{argv[0]}: command not found") from exc
    except OSError as exc:
        raise WorktreeError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    assert child.stdout is not None
    captured = _Capped(cap)
    reader = threading.Thread(target=_drain, args=(child.stdout, captured), daemon=True)
    reader.start()
    try:
        code: int | None = child.wait(timeout)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        _kill_group(child.pid)
        child.wait()
    # A grandchild that escaped the group may hold the pipe open: do not wait for it forever.
    reader.join(5)
    return Ran(list(argv), code, captured.text(), captured.omitted)


def _drain(stream: object, captured: _Capped) -> None:
    read = stream.read1  # type: ignore[attr-defined]
    while chunk := read(_CHUNK):
        captured.add(chunk)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
