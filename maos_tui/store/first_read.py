"""The board's first paint without SQLAlchemy: the stdlib `sqlite3` runs the store's own
statements, compiled ahead into compiled_sql.py (see compiled_sql_gen.py), and the rows
become records through the store's own conversions (records.py).

Importing SQLAlchemy, SQLModel and pydantic takes longer than the whole first paint may;
the store is opened right after the paint instead. This reader is used only when that is
safe: a SQLite file that exists and has the current schema version, opened read-only, with
the store's busy_timeout. Anything else (another database, an older or newer schema, any
sqlite3 error) gives None, and the caller opens the store as usual.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from maos_tui.domain import ActivityRecord, AgentRecord, TaskRecord, TaskStatus
from maos_tui.store import compiled_sql as sql
from maos_tui.store.compiled_run import mapping, rows
from maos_tui.store.records import (
    TaskRunFigures,
    activity_record,
    agent_record,
    run_figures_of,
    task_with_relations,
    totals_of,
)

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


class FirstReader:
    """One read-only snapshot of the database: `open` begins it and checks the schema
    version, the reads then all see the same commits, `close` ends it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, url: str) -> FirstReader | None:
        conn = connect_read_only(url)
        if conn is None:
            return None
        if not begin_current(conn):
            conn.close()
            return None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()  # never committed: the open transaction only read

    def counts(self) -> dict[str, int]:
        found = dict(self._rows(sql.COUNTS))
        return {s.value: int(found.get(s.value, 0)) for s in TaskStatus}

    def column(self, status: TaskStatus, limit: int, *, newest_first: bool) -> list[TaskRecord]:
        statement = sql.COLUMN_NEWEST if newest_first else sql.COLUMN
        rows = self._rows(statement, {"status": status.value, "limit": limit})
        return [task_with_relations(mapping(statement, row)) for row in rows]

    def run_figures(self, task_ids: Sequence[str]) -> dict[str, TaskRunFigures]:
        if not task_ids:
            return {}
        return run_figures_of(self._rows(sql.RUN_FIGURES, {"ids": json.dumps(list(task_ids))}))

    def current_tasks(self) -> dict[str, str]:
        return dict(self._rows(sql.CURRENT_TASKS))

    def agents(self) -> list[AgentRecord]:
        return [agent_record(mapping(sql.AGENTS, row)) for row in self._rows(sql.AGENTS)]

    def totals(self) -> dict[str, Any]:
        return totals_of(self._rows(sql.TOTALS)[0])

    def unread(self, recipient: str) -> int:
        return int(self._rows(sql.UNREAD, {"recipient": recipient})[0][0])

    def feed(self, limit: int) -> list[ActivityRecord]:
        rows = self._rows(sql.FEED, {"after_id": 0, "limit": limit})
        return [activity_record(mapping(sql.FEED, row)) for row in reversed(rows)]

    def _rows(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return rows(self._conn, statement, params)
