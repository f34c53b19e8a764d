"""Run a statement of compiled_sql.py on a stdlib `sqlite3` connection, converting
parameters and results as SQLAlchemy's column types would (aware UTC datetimes stored
naive, booleans stored as 0/1), so the rows are those the store writes and reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from maos_tui.store.stdlib.compiled_sql import Statement


def rows(
    conn: sqlite3.Connection, statement: Statement, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of a SELECT, each value converted as SQLAlchemy's column type would."""
    found = execute(conn, statement, params).fetchall()
    if not statement.datetimes and not statement.booleans:
        return found
    converted = []
    for raw in found:
        row = list(raw)
        for index in statement.datetimes:
            row[index] = utc_datetime(row[index])
        for index in statement.booleans:
            if row[index] is not None:
                row[index] = bool(row[index])
        converted.append(tuple(row))
    return converted


def mapping(statement: Statement, row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(statement.keys, row, strict=True))


def execute(
    conn: sqlite3.Connection, statement: Statement, params: Mapping[str, Any] | None = None
) -> sqlite3.Cursor:
    try:
        return conn.execute(statement.sql, bind(statement, params or {}))
    except UnicodeDecodeError as exc:
        # SQLite's message quotes the damaged schema text, which Python cannot decode: the
        # file is damaged, and is reported as every other damaged file is.
        raise sqlite3.DatabaseError(f"database disk image is malformed ({exc.reason})") from None


def bind(statement: Statement, params: Mapping[str, Any]) -> dict[str, Any]:
    values = {**statement.fixed, **params}
    for name in statement.bind_datetimes:
        values[name] = utc_storage(values[name])
    return values


def utc_datetime(value: str | None) -> datetime | None:
    """A stored datetime as SQLModel's UTCDateTime reads it: aware, in UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def utc_storage(value: datetime | None) -> str | None:
    """A datetime as SQLModel's UTCDateTime stores it on SQLite: naive UTC text."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("datetime values must have timezone information")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
