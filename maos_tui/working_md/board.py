"""Read the `Board` snapshot that `render.render_working` draws, in one read transaction:
through the store's read view (`load_board`), or on the stdlib `sqlite3` (`read_board`)
for a rewrite that must not import SQLAlchemy (working_md/lite.py).

Both run the same statements (store/board.py's WORKING_TASKS and MESSAGE_COUNTS,
board.FEED, agents.LIST; compiled ahead into store/stdlib/compiled_sql.py for `read_board`) and
turn the rows into records with the same code (store/records.py), so both draw the same file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from maos_tui.store.records import activity_record, agent_record, task_with_relations
from maos_tui.store.stdlib import compiled_sql as sql
from maos_tui.store.stdlib.runner import mapping, rows
from maos_tui.working_md.render import RECENT_ACTIVITY, Board

if TYPE_CHECKING:
    from maos_tui.domain import TaskRecord
    from maos_tui.store import Store, Tx
    from maos_tui.store.views import WorkingRecords

_FEED_PARAMS = {"after_id": 0, "limit": RECENT_ACTIVITY}


async def load_board(store: Store, within: Tx | None = None) -> Board:
    """Read inside `within` when given (a pass that is still inside its merge
    transaction), else on a snapshot of its own."""
    # Imported here: this module also serves the path that must not load SQLAlchemy.
    from maos_tui.store.views import read_view, view_within

    if within is not None:
        return _from_records(await view_within(store, within).working(RECENT_ACTIVITY))
    async with read_view(store) as view:
        return _from_records(await view.working(RECENT_ACTIVITY))


def _from_records(found: WorkingRecords) -> Board:
    return Board(
        tasks=found.tasks,
        agents=found.agents,
        activities=found.activities,
        messages=found.messages,
    )


def read_board(conn: sqlite3.Connection) -> Board:
    """`load_board` on a stdlib connection to a database of the current schema, inside a
    transaction the caller began (so all four reads see the same commits)."""

    def found(statement: sql.Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [mapping(statement, row) for row in rows(conn, statement, params)]

    return _board(
        [task_with_relations(row) for row in found(sql.WORKING_TASKS)],
        found(sql.AGENTS),
        found(sql.FEED, _FEED_PARAMS),
        rows(conn, sql.MESSAGE_COUNTS),
    )


def _board(
    tasks: list[TaskRecord],
    agents: Iterable[Mapping[str, Any]],
    activities: Iterable[Mapping[str, Any]],
    message_counts: Iterable[Any],
) -> Board:
    return Board(
        tasks=tasks,
        agents=[agent_record(row) for row in agents],
        activities=[activity_record(row) for row in activities],
        messages={task_id: int(n) for task_id, n in message_counts},
    )
