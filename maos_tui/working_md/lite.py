"""WORKING.md's rewrite after a one-shot CLI command, without the store: the board is read
on the stdlib `sqlite3` (working_md/board.py `read_board`), so the command never imports
SQLAlchemy, SQLModel or pydantic, which alone cost more than `task add` may take.

    try:
        problems = await rewrite_without_store(workspace, db_url, give_up)
    except NeedsStore:
        problems = await WorkingSync(store, workspace).sync_once(give_up=give_up)

The pass is WorkingSync's own (passes.py); it only rewrites. A pass that would merge a hand
edit (or ID-less or pending lines) into the store, or a database this reader cannot read
(not a plain SQLite file, another schema version), raises NeedsStore before anything is
changed: the file, its sync state and its history are left to the store's pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from maos_tui.domain import utcnow
from maos_tui.store.errors import NeedsStore, translate_error
from maos_tui.store.stdlib.connect import begin_current, connect_read_only, sqlite_file
from maos_tui.working_md.board import read_board
from maos_tui.working_md.passes import Merge, WorkingPass
from maos_tui.working_md.render import Board

if TYPE_CHECKING:
    from maos_tui.config import Workspace
    from maos_tui.working_md.parse import Problem


class _SqliteSource:
    """The board read on a read-only stdlib connection, a fresh transaction each time."""

    def __init__(self, conn: sqlite3.Connection, db_label: str) -> None:
        self._conn, self._db_label = conn, db_label

    async def board(self, within: Any = None) -> Board:
        try:
            # The schema could only have changed if another process migrated the database
            # since `rewrite_without_store` looked: our rows would not be the store's.
            if not begin_current(self._conn):
                raise NeedsStore("the database cannot be read without the store")
            try:
                return read_board(self._conn)
            finally:
                self._conn.execute("ROLLBACK")  # only read: the next pass sees newer commits
        except sqlite3.Error as exc:
            # The errors the store's pass would raise, which the CLI reports as a warning.
            raise translate_error(exc, self._db_label) from None

    def merger(self) -> Merge:
        raise NeedsStore("WORKING.md has changes to merge into the store")


async def rewrite_without_store(
    workspace: Workspace,
    db_url: str,
    give_up: Callable[[], bool],
    *,
    clock: Callable[[], datetime] = utcnow,
) -> list[Problem]:
    """`WorkingSync.sync_once(give_up=give_up)` for a file we wrote last (the common case
    after a CLI command): the same lock, render, atomic write, sync state, history and
    problems. Raises NeedsStore, having changed nothing, when the store is needed."""
    conn = connect_read_only(db_url)
    if conn is None:
        raise NeedsStore("the database is not a SQLite file this reader can open")
    try:
        if not begin_current(conn):
            raise NeedsStore("the database's schema is not the current one")
        conn.execute("ROLLBACK")  # looked only: each pass reads in its own transaction
        source = _SqliteSource(conn, str(sqlite_file(db_url)))
        rewrite = WorkingPass(source, workspace, clock=clock)
        return await rewrite.sync_once(give_up=give_up)
    finally:
        conn.close()
