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
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from maos_tui.domain import ActivityRecord, AgentRecord, TaskRecord, TaskStatus
from maos_tui.store.records import (
    TaskRunFigures,
    activity_record,
    agent_record,
    run_figures_of,
    task_with_relations,
    totals_of,
)
from maos_tui.store.stdlib import compiled_sql as sql
from maos_tui.store.stdlib.connect import begin_current, connect_read_only
from maos_tui.store.stdlib.runner import mapping, rows
from maos_tui.store.worker_records import WorkerRecord


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

    def workers(self) -> list[WorkerRecord]:
        return [WorkerRecord.from_row(mapping(sql.WORKERS, row)) for row in self._rows(sql.WORKERS)]

    def unread(self, recipient: str) -> int:
        return int(self._rows(sql.UNREAD, {"recipient": recipient})[0][0])

    def feed(self, limit: int) -> list[ActivityRecord]:
        rows = self._rows(sql.FEED, {"after_id": 0, "limit": limit})
        return [activity_record(mapping(sql.FEED, row)) for row in reversed(rows)]

    def _rows(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return rows(self._conn, statement, params)
