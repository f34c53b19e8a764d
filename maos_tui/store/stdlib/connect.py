"""Connections of the stdlib path: which databases it may read or write without the store
(a plain SQLite file of the store's driver, of the current schema), opened as the store
would open them. Anything else gives None or False, and the caller opens the store."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from maos_tui.store.stdlib import compiled_sql as sql
from maos_tui.store.stdlib.runner import rows

# The store's driver: with another one the store fails to open, and should say so before
# the screen is taken over.
_SCHEME = "sqlite+aiosqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL; None for anything this reader leaves to SQLAlchemy
    (other databases and drivers, in-memory ones, URLs with options or escapes)."""
    scheme, sep, database = url.partition(":///")
    if not sep or scheme != _SCHEME or not database or database == ":memory:":
        return None
    if any(c in database for c in "?%#"):
        return None
    return Path(database)


def connect_read_only(url: str) -> sqlite3.Connection | None:
    """A read-only stdlib connection (autocommit: the caller begins its reads) to the
    plain SQLite file of `url`; None when the store should open it instead."""
    path = sqlite_file(url)
    # A file the store cannot write is refused by it, with a message for the user.
    if path is None or not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
        return None
    try:
        return sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=sql.BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    except sqlite3.Error:
        return None


def begin_current(conn: sqlite3.Connection) -> bool:
    """Begin a read transaction if the database has the schema the compiled statements
    were made for; False (and no transaction) otherwise, or on any sqlite3 error."""
    try:
        conn.execute("BEGIN")
        found = rows(conn, sql.VERSION)
        if found and found[0][0] == str(sql.SCHEMA_VERSION):
            return True
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.rollback()
    return False
