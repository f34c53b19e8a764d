"""A connection in a transaction that runs the store's Prepared statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.store.errors import translate_error
from maos_tui.store.prepared import Prepared
from maos_tui.store.search import uses_fts


class Reader:
    """A connection in a transaction that runs Prepared statements: on SQLite on the
    driver connection, elsewhere through SQLAlchemy. `Store.reader()` gives one for reads;
    a write transaction (Tx) is one too."""

    def __init__(self, conn: AsyncConnection, driver: Any = None, db_label: str = "") -> None:
        self.conn = conn
        # On SQLite, the aiosqlite connection under `conn`, for Prepared statements.
        self._driver = driver
        self._db_label = db_label

    @property
    def fts(self) -> bool:
        """The search index is an FTS table kept in the same transaction (search.py)."""
        return uses_fts(self.conn)

    @property
    def native(self) -> bool:
        """Prepared statements run on the driver (SQLite): SQLite-only SQL may be used."""
        return self._driver is not None

    async def rows(
        self, prepared: Prepared, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of a Prepared SELECT, each value read through its column's type."""
        if self._driver is None:
            result = await self.conn.execute(prepared.statement, params or {})
            return [tuple(row) for row in result.all()]
        form = prepared.form(self.conn.dialect)
        values = prepared.parameters(form, params or {})
        try:
            found: list[Any] = await self._driver.execute_fetchall(form.sql, values)
        except sqlite3.Error as exc:
            raise translate_error(exc, self._db_label) from None
        if not form.results:
            return found
        rows = []
        for raw in found:
            row = list(raw)
            for index, convert in form.results:
                row[index] = convert(row[index])
            rows.append(tuple(row))
        return rows
