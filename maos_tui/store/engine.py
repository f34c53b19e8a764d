"""Async engine creation, SQLite connection pragmas and error translation."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from maos_tui.store.errors import DatabaseLockedError, StoreError

BUSY_TIMEOUT_MS = 5000
# How long a writer keeps waiting while the lock is busy but other writers make progress.
CONTENDED_WAIT_SECONDS = 60
WRITE_OPTION = "maos_write"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_sqlite_file(path: Path) -> None:
    """Refuse unusable paths early and create a new database file user-only (0600)."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"cannot open database {path}: permission denied")
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level, so the "begin" hook below owns transaction start.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    for pragma in (
        f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def _on_begin(conn: Any) -> None:
    # Writers take the write lock up front: a deferred transaction that upgrades later
    # fails at once with SQLITE_BUSY under WAL instead of waiting out busy_timeout.
    if not conn.get_execution_options().get(WRITE_OPTION, False):
        conn.exec_driver_sql("BEGIN")
        return
    _begin_immediate(conn, _wal_path(conn.engine.url.database))


def _begin_immediate(conn: Any, wal: Path | None) -> None:
    """Wait for the write lock: busy_timeout per attempt, and again while others commit.

    SQLite's busy handler polls (every 100 ms once it has waited a while), so under heavy
    contention a writer can lose every poll to writers that grab the lock sooner, and time
    out although the database was never stuck. A stuck lock (another process inside a long
    transaction) commits nothing meanwhile: that still fails after one busy_timeout.
    """
    deadline = time.monotonic() + CONTENDED_WAIT_SECONDS
    while True:
        before = _stamp(wal)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except DBAPIError as exc:
            locked = "locked" in str(exc.orig).lower()
            if not locked or time.monotonic() > deadline or _stamp(wal) == before:
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


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _on_connect)
        event.listen(engine.sync_engine, "begin", _on_begin)
    return engine


def translate_error(exc: BaseException, db_label: str) -> StoreError:
    """Turn driver errors into one clear sentence naming the database."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    lowered = text.lower()
    if "database is locked" in lowered or "database table is locked" in lowered:
        return DatabaseLockedError("database is locked")
    if "disk is full" in lowered or ("disk i/o error" in lowered and _disk_full(db_label)):
        return StoreError(
            f"cannot write {db_label}: the disk is full ({text}); the change was not saved "
            "and nothing else was lost: free some space and try again"
        )
    if "file is not a database" in lowered or "malformed" in lowered:
        return StoreError(
            f"{db_label} is not a usable maos-tui database ({text}); "
            "run `maos-tui doctor` and keep the file: nothing was overwritten"
        )
    if "unable to open database" in lowered or "readonly database" in lowered:
        return StoreError(f"cannot open database {db_label}: {text}")
    if isinstance(exc, DBAPIError):
        return StoreError(f"database error in {db_label}: {text.splitlines()[0]}")
    return StoreError(f"database error in {db_label}: {text}")


# Below this, a write failing with a generic I/O error is taken to be a full disk: SQLite
# reports a full disk under WAL as "disk I/O error" when the -wal or -shm write fails.
_FULL_DISK_BYTES = 1024 * 1024


def _disk_full(db_label: str) -> bool:
    try:
        usage = os.statvfs(Path(db_label).parent)
    except OSError:  # not a file path (a server URL), or the folder is gone
        return False
    return usage.f_bavail * usage.f_frsize < _FULL_DISK_BYTES
