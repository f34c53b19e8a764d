"""One worktree operation at a time per repository, across processes: creating, merging and
pruning all update shared state (refs, the main checkout's index, git's worktree list), and
two merges racing on the main checkout would otherwise meet at its index.lock."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from maos_tui.worktrees.errors import WorktreeError

LOCK_NAME = "maos-worktrees.lock"
LOCK_WAIT = 120.0
_POLL = 0.05


@contextmanager
def repository_lock(common_dir: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold an exclusive flock on a file in the shared .git folder; the kernel releases it
    if the process dies, so a crash never leaves the repository locked."""
    path = common_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WorktreeError(f"cannot open {path}: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WorktreeError(
                        f"another worktree operation has held {path} for {wait:g} s; try again"
                    ) from None
                time.sleep(_POLL)
        yield
    finally:
        os.close(fd)  # closing drops the lock
