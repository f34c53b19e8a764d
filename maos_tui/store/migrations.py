"""Versioned, forward-only schema migrations, run when the store opens.

A new database gets the current metadata in one go and is stamped with the latest version;
an older one is walked step by step. Steps that metadata cannot express (SQLite virtual
tables, triggers, data moves) set `in_metadata=False` so new databases run them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, select, text

from maos_tui.store.engine import StoreError
from maos_tui.store.models import (
    TABLES,
    LeaseRow,
    Meta,
    ReviewCommentRow,
    Run,
    TaskBranchRow,
    WorkerRow,
)
from maos_tui.store.search import create_and_fill, create_and_fill_pg


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[Connection], None]
    in_metadata: bool = True


def _create(conn: Connection, model: type) -> None:
    model.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


def _create_all(conn: Connection, *models: type) -> None:
    for model in models:
        _create(conn, model)


def _create_indexes(conn: Connection, model: type, names: tuple[str, ...]) -> None:
    for index in model.__table__.indexes:  # type: ignore[attr-defined]
        if index.name in names:
            index.create(conn, checkfirst=True)


def _recreate(conn: Connection, model: type) -> None:
    """Drop and create a table again, for one whose rows are only ever current state (a
    column added by ALTER TABLE would leave SQLite's stored schema unlike a fresh one)."""
    model.__table__.drop(conn, checkfirst=True)  # type: ignore[attr-defined]
    _create(conn, model)


def _seed_counters(conn: Connection) -> None:
    conn.execute(text("INSERT INTO counters (name, value) VALUES ('task', 0)"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", lambda conn: None),
    Migration(2, "full-text search index", create_and_fill, in_metadata=False),
    Migration(3, "task branches and worktrees", lambda conn: _create(conn, TaskBranchRow)),
    Migration(4, "review comments", lambda conn: _create(conn, ReviewCommentRow)),
    Migration(5, "full-text search index on PostgreSQL", create_and_fill_pg, in_metadata=False),
    Migration(
        6, "scheduler workers and task leases", lambda conn: _create_all(conn, WorkerRow, LeaseRow)
    ),
    Migration(
        7,
        "runs indexes for the insights figures",
        lambda conn: _create_indexes(conn, Run, ("ix_runs_figures", "ix_runs_agents")),
    ),
    # Workers register again within a heartbeat: their rows are not worth carrying over.
    Migration(8, "the agents each worker cannot run", lambda conn: _recreate(conn, WorkerRow)),
)
LATEST = MIGRATIONS[-1].version
# The schema version of a database that has one (the board's first paint reads it too).
VERSION = select(Meta.value).where(Meta.key == "schema_version")


class SchemaTooNewError(StoreError):
    pass


def current_version(conn: Connection) -> int | None:
    """None for an empty database; raises for a database that is not ours."""
    tables = set(inspect(conn).get_table_names())
    if not tables:
        return None
    if "maos_meta" not in tables:
        raise StoreError("the database holds tables that are not maos-tui's; refusing to touch it")
    row = conn.execute(VERSION).first()
    if row is None:
        raise StoreError("the database has no schema version; refusing to touch it")
    return int(row[0])


def _stamp(conn: Connection, version: int) -> None:
    updated = conn.execute(
        text("UPDATE maos_meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
    )
    if updated.rowcount == 0:
        conn.execute(
            text("INSERT INTO maos_meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(version)},
        )


def migrate(conn: Connection, db_label: str) -> int:
    """Bring the schema to LATEST inside the caller's transaction; return the old version."""
    found = current_version(conn)
    if found is not None and found > LATEST:
        raise SchemaTooNewError(
            f"{db_label} was written by a newer maos-tui (schema {found}, this version "
            f"knows up to {LATEST}); upgrade maos-tui. The file was left untouched."
        )
    if found is None:
        TABLES.create_all(conn)
        _seed_counters(conn)
        for step in MIGRATIONS:
            if not step.in_metadata:
                step.upgrade(conn)
        _stamp(conn, LATEST)
        return 0
    for step in MIGRATIONS:
        if step.version > found:
            step.upgrade(conn)
    if found != LATEST:
        _stamp(conn, LATEST)
    return found
