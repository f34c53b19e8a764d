"""New rows' IDs, handed out by the database for many rows inserted in one statement.

On PostgreSQL, `INSERT ... RETURNING id` with SQLAlchemy's `sort_by_parameter_order`, which
pairs each ID with its row. On SQLite that pairing costs a statement per row, so the rows
go in one executemany and the IDs are read back with `last_insert_rowid()`: SQLite gives a
new row the table's largest rowid plus one, and the writer holds the database's write lock
for the whole transaction, so the rows just inserted hold the last `len(rows)` IDs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, text

from maos_tui.store.prepared import Prepared

if TYPE_CHECKING:
    from maos_tui.store.core import Tx

_LAST_INSERTED = Prepared(text("SELECT last_insert_rowid()"))


class ManyInserts:
    """Rows of `table` with the given columns, inserted together, their IDs in order."""

    def __init__(self, table: Table, prepared: Prepared) -> None:
        # `prepared`: the INSERT of the columns without the ID, as the store runs it.
        self._prepared = prepared
        self._returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)

    async def insert(self, tx: Tx, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        if not rows:
            return []
        if tx.native:
            await tx.run_many(self._prepared, rows)
            last = int((await tx.rows(_LAST_INSERTED))[0][0])
            return list(range(last - len(rows) + 1, last + 1))
        result = await tx.conn.execute(self._returning, list(rows))
        return [int(row[0]) for row in result.all()]
