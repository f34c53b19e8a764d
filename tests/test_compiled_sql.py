"""The store's statements compiled for the stdlib `sqlite3` (store/stdlib/compiled_sql.py) are
current, and their runner converts values exactly as SQLAlchemy's column types do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from maos_tui.store.models import Task
from maos_tui.store.stdlib.compiled_sql_gen import TARGET, render
from maos_tui.store.stdlib.runner import utc_datetime, utc_storage


def test_the_generated_sql_is_current() -> None:
    """Regenerate with `python -m maos_tui.store.stdlib.compiled_sql_gen` when this fails."""
    assert TARGET.read_text(encoding="utf-8") == render()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 11, 23, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
        datetime(1999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ],
)
def test_datetimes_are_stored_and_read_as_sqlalchemy_does(value: datetime) -> None:
    dialect = sqlite.dialect()
    column = Task.__table__.c.created_at.type  # type: ignore[attr-defined]
    stored = column.dialect_impl(dialect).bind_processor(dialect)(value)
    assert utc_storage(value) == stored
    read = column.dialect_impl(dialect).result_processor(dialect, None)(stored)
    assert utc_datetime(stored) == read == value


def test_a_naive_datetime_is_refused_as_sqlalchemy_refuses_it() -> None:
    with pytest.raises(ValueError, match="timezone"):
        utc_storage(datetime(2026, 1, 1))
