"""Async engine creation, with the SQLite connection settings of sqlite_conn.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from maos_tui.store.errors import StoreError
from maos_tui.store.sqlite_conn import PRAGMAS, begin_immediate
from maos_tui.store.urls import ASYNC_DRIVERS, masked, unsupported_error, url_error

WRITE_OPTION = "maos_write"
CONNECT_TIMEOUT_SECONDS = 10


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases, in-memory ones and text
    that is no URL (creating the engine says what is wrong with it)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def db_label(url: str) -> str:
    """How messages name the database: its file, else its URL without the password."""
    path = sqlite_path(url)
    return str(path) if path else masked(url)


def prepare_sqlite_file(url: str, *, create: bool) -> None:
    """Refuse unusable paths early. A missing database file is created user-only (0600)
    only when `create` is set: elsewhere a mistyped path must not become a new database."""
    path = sqlite_path(url)
    if path is None:
        return
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"cannot open database {path}: permission denied")
        return
    if not create:
        folder = "" if path.parent.is_dir() else f", nor does its folder {path.parent}"
        raise StoreError(
            f"database {path} does not exist{folder}: check the path (`maos-tui init` "
            "creates a new database)"
        )
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
    """The engine for `url`, or a StoreError saying in one line why it cannot be used. It
    connects to nothing yet: it is made before a database file is created for it."""
    try:
        server = make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        server = False  # creating the engine says what is wrong with it
    # A pooled connection may have died with a server restart: test it before use. And an
    # unreachable server is said in seconds, not after asyncpg's default minute.
    options = (
        {"pool_pre_ping": True, "connect_args": {"timeout": CONNECT_TIMEOUT_SECONDS}}
        if server
        else {}
    )
    try:
        engine = create_async_engine(url, future=True, **options)
    except (ArgumentError, InvalidRequestError, ImportError) as exc:
        raise url_error(url, exc) from None
    if engine.dialect.name not in ASYNC_DRIVERS:
        raise unsupported_error(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _on_connect)
        event.listen(engine.sync_engine, "begin", _on_begin)
    return engine
