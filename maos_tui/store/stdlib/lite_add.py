"""`maos-tui task add` on the stdlib `sqlite3`, for a one-shot command that would
otherwise spend most of its time importing SQLAlchemy, SQLModel and pydantic.

It runs the store's own creation (task_create.py) with the store's own statements,
compiled ahead (compiled_sql.py), on a connection set up as the store sets up its own
(sqlite_conn.py): the same rules, the same rows, the same Activity, the same errors. It
takes on only what it can do exactly as the store would. Anything else raises `NeedsStore`
before a row is written, and the caller opens the store as usual: another database or
driver, a file that does not exist yet, a schema to migrate, `[[agents]]` in config.toml
that the store does not mirror yet, a description that mentions someone (notifications
are the store's).

No events are published: nothing in a one-shot command subscribes, and other processes
(the TUI, `maos-tui run`) see the commit through SQLite's data_version, as they see any
other process's.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import closing, suppress
from typing import Any

from maos_tui.collab import find_mentions
from maos_tui.domain import TaskRecord, utcnow
from maos_tui.store.agent_values import plan_config_agents
from maos_tui.store.errors import NeedsStore, translate_error
from maos_tui.store.records import activity_row, task_with_relations
from maos_tui.store.sqlite_conn import BUSY_TIMEOUT_MS, PRAGMAS, begin_immediate
from maos_tui.store.stdlib import compiled_sql as sql
from maos_tui.store.stdlib.connect import sqlite_file
from maos_tui.store.stdlib.runner import bind, execute, mapping, rows
from maos_tui.store.task_create import NewTask, insert_task


class LiteTx:
    """task_create's writer on a stdlib connection inside BEGIN IMMEDIATE."""

    fts = True  # the store's SQLite schema always has the search index

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.now = utcnow()

    async def rows(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        return rows(self.conn, statement, params)

    async def run(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> int | None:
        return execute(self.conn, statement, params).lastrowid

    async def run_many(self, statement: sql.Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        self.conn.executemany(statement.sql, [bind(statement, row) for row in rows])

    async def activity(
        self, actor: str, verb: str, task_id: str | None = None, **details: Any
    ) -> None:
        await self.run(sql.INSERT_ACTIVITY, activity_row(self.now, actor, verb, task_id, details))


async def add_task(url: str, new: NewTask, config_agents: list[dict[str, Any]]) -> TaskRecord:
    """Create `new` as `TaskService.create` would, and read it back; raises NeedsStore
    (nothing written) when that takes the store, DomainError or StoreError as it would."""
    path = sqlite_file(url)
    # A missing or unusable file is the store's: it creates it, or says what is wrong.
    if path is None or not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
        raise NeedsStore
    if find_mentions(new.description):
        raise NeedsStore
    label = str(path)
    try:
        with closing(
            sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        ) as conn:
            for pragma in PRAGMAS:
                conn.execute(pragma)
            begin_immediate(
                lambda: conn.execute("BEGIN IMMEDIATE"),
                lambda exc: (
                    isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()
                ),
                str(path),
            )
            try:
                task = await _create(LiteTx(conn), new, config_agents)
            except BaseException:
                # Closing rolls back too: a failing ROLLBACK must not hide why we stopped.
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return task
    except sqlite3.Error as exc:
        raise translate_error(exc, label) from None


async def _create(tx: LiteTx, new: NewTask, config_agents: list[dict[str, Any]]) -> TaskRecord:
    found = await tx.rows(sql.VERSION)
    if not found or found[0][0] != str(sql.SCHEMA_VERSION):
        raise NeedsStore  # to migrate, or too new: the store says which
    if config_agents:
        agents = [mapping(sql.AGENTS, row) for row in await tx.rows(sql.AGENTS)]
        if plan_config_agents(config_agents, agents):
            raise NeedsStore
    task_id = await insert_task(tx, sql, new)
    row = (await tx.rows(sql.GET_TASK, {"id": task_id}))[0]
    return task_with_relations(mapping(sql.GET_TASK, row))
