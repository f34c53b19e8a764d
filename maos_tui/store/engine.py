"""Async engine creation, with the SQLite connection settings of sqlite_conn.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from maos_tui.store.errors import StoreError
from maos_tui.store.sqlite_conn import PRAGMAS, begin_immediate

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
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_begin(conn: Any) -> None:
    # Writers take the write lock up front: a deferred transaction that upgrades later
    # fails at once with SQLITE_BUSY under WAL instead of waiting out busy_timeout.
    if not conn.get_execution_options().get(WRITE_OPTION, False):
        conn.exec_driver_sql("BEGIN")
        return
    begin_immediate(
        lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"),
        lambda exc: isinstance(exc, DBAPIError) and "locked" in str(exc.orig).lower(),
        conn.engine.url.database,
    )


def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _on_connect)
        event.listen(engine.sync_engine, "begin", _on_begin)
    return engine
