"""Prepared: the store's hot-path statements, compiled once per dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Dialect


class _Form:
    """A Prepared statement as compiled for one dialect."""

    __slots__ = ("binds", "dialect", "fixed", "names", "results", "sql")

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.dialect = dialect
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())
        binds = compiled.binds
        # Values the statement carries itself (`status != 'done'`), by name.
        self.fixed = {n: binds[n].value for n in self.names if not binds[n].required}
        # Type conversions, by position: only the columns that need one (datetimes...).
        self.binds = _conversions(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )
        selected = getattr(statement, "selected_columns", ())
        self.results = _conversions(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        )


def _conversions(
    processors: Iterable[Callable[[Any], Any] | None],
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((i, p) for i, p in enumerate(processors) if p is not None)


class Prepared:
    """A Core statement for the store's hottest paths, compiled once per dialect.

    On SQLite it runs on the driver connection (see `Reader.rows`, `Tx.run`): SQLAlchemy's
    per-statement work (cache key, compiled-cache lookup, execution context, result
    wrapping: ~0.2 ms of Python) is skipped, and aiosqlite needs one hop to its thread
    where the adapter makes four (cursor, execute, fetch, close). Parameters and results
    still go through the columns' own types (aware UTC datetimes, booleans), so the rows
    are those SQLAlchemy would write and read. Parameters are named by the statement's
    bindparams. An IN list would make one statement per length: statements run only on
    SQLite (`Reader.native`) take a JSON array instead, `IN (SELECT value FROM
    json_each(:ids))`; elsewhere the caller uses its plain SQLAlchemy query.
    """

    __slots__ = ("_form", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._form: _Form | None = None

    def form(self, dialect: Dialect) -> _Form:
        form = self._form
        if form is None or form.dialect is not dialect:
            form = self._form = _Form(self.statement, dialect)
        return form

    def parameters(self, form: _Form, values: Mapping[str, Any]) -> list[Any]:
        if form.fixed:
            values = {**form.fixed, **values}
        row = [values[name] for name in form.names]
        for index, convert in form.binds:
            row[index] = convert(row[index])
        return row
