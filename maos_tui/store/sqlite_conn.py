"""How every SQLite connection of the store behaves, importable without SQLAlchemy: the
store's engine (engine.py) and `task add`'s stdlib path (stdlib/lite_add.py) both use it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

BUSY_TIMEOUT_MS = 5000
# How long a writer keeps waiting while the lock is busy but other writers make progress.
CONTENDED_WAIT_SECONDS = 60
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


def begin_immediate(
    begin: Callable[[], object], is_locked: Callable[[Exception], bool], database: str | None
) -> None:
    """Wait for the write lock: busy_timeout per attempt, and again while others commit.

    SQLite's busy handler polls (every 100 ms once it has waited a while), so under heavy
    contention a writer can lose every poll to writers that grab the lock sooner, and time
    out although the database was never stuck. A stuck lock (another process inside a long
    transaction) commits nothing meanwhile: that still fails after one busy_timeout.
    """
    wal = _wal_path(database)
    deadline = time.monotonic() + CONTENDED_WAIT_SECONDS
    while True:
        before = _stamp(wal)
        try:
            begin()
            return
        except Exception as exc:
            if not is_locked(exc) or time.monotonic() > deadline or _stamp(wal) == before:
                raise


def _wal_path(database: str | None) -> Path | None:
    if database in (None, "", ":memory:"):
        return None
    return Path(f"{database}-wal")


def _stamp(wal: Path | None) -> tuple[int, int, int] | None:
    """Changes whenever a transaction commits (the -wal file grows or is restarted)."""
    if wal is None:
        return None
    try:
        st = wal.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino
