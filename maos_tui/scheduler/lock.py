"""One scheduler per workspace, enforced with `fcntl.flock` on `.maos/scheduler.lock`.

An flock belongs to the open file, so the kernel drops it when the holder exits for any
reason, `kill -9` included: a dead scheduler can never leave a stale lock behind. The file
also records the holder's PID, only to name it in messages.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from maos_tui.config import Workspace
from maos_tui.domain import DomainError

LOCK_NAME = "scheduler.lock"


class SchedulerBusy(DomainError):
    """Another process already runs the scheduler of this workspace."""


def lock_path(workspace: Workspace) -> Path:
    return workspace.maos_dir / LOCK_NAME


class SchedulerLock:
    def __init__(self, workspace: Workspace) -> None:
        self.path = lock_path(workspace)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise SchedulerBusy naming the holder's PID."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _read_pid(self.path)
            who = f" (pid {holder})" if holder else ""
            raise SchedulerBusy(
                f"a scheduler is already running for this workspace{who}; "
                "stop it first or use that one"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.close(fd)  # closing the descriptor drops the flock


def scheduler_holder(workspace: Workspace) -> int | None:
    """The PID of the process running this workspace's scheduler, or None if none runs.

    The TUI calls this to open without a scheduler (and say so) when another one runs.
    """
    path = lock_path(workspace)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(path) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
