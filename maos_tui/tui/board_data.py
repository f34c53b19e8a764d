"""One consistent read of everything the main screen shows.

Columns are windows: the first `limit` cards of each status, never the whole table, so a
10,000-task store costs the same to draw as a 300-task one. "N more" loads the next page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from maos_tui.domain import BOARD_STATUSES, HUMAN, AgentRecord, TaskRecord, TaskStatus
from maos_tui.tui.filters import BoardFilter
from maos_tui.tui.queries import (
    NEWEST_FIRST,
    TaskRunFigures,
    column_tasks,
    current_tasks,
    run_figures,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.store import Store
    from maos_tui.store.stdlib.first_read import FirstReader

PAGE = 100
# Columns shown after the fixed ones, and only while they hold tasks.
WHILE_FILLED = (TaskStatus.FAILED, TaskStatus.CANCELLED)


@dataclass
class BoardData:
    columns: dict[TaskStatus, list[TaskRecord]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    figures: dict[str, TaskRunFigures] = field(default_factory=dict)
    agents: list[AgentRecord] = field(default_factory=list)
    agent_tasks: dict[str, str] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    unread: int = 0  # the person's unread notifications
    # With a filter on: how many tasks of each column match, loaded or not.
    matched: dict[TaskStatus, int] = field(default_factory=dict)
    # `counts` as last read, before any key patched them in: what a refresh compares to.
    stored_counts: dict[str, int] = field(default_factory=dict)

    def statuses(self) -> list[TaskStatus]:
        """The board's columns: the five fixed ones, plus FAILED and CANCELLED while they
        hold tasks."""
        return [*BOARD_STATUSES, *(s for s in WHILE_FILLED if self.counts.get(s.value, 0))]

    @property
    def total_tasks(self) -> int:
        return sum(self.counts.values())


async def load_board(
    store: Store, limits: dict[TaskStatus, int], board_filter: BoardFilter | None = None
) -> BoardData:
    data = BoardData()
    async with store.read() as conn:
        data.counts = await store.tasks.counts(conn)
        data.stored_counts = dict(data.counts)
        await load_columns(store, conn, data, data.statuses(), limits, board_filter)
        data.agents = await store.agents.list(conn)
        data.agent_tasks = await current_tasks(conn)
        data.totals = await store.agents.totals(conn)
    return data


def first_board(reader: FirstReader, limits: dict[TaskStatus, int]) -> BoardData:
    """load_board without a filter, from the first paint's stdlib reader (the same
    statements, run before SQLAlchemy is imported), with the unread count."""
    data = BoardData()
    data.counts = reader.counts()
    data.stored_counts = dict(data.counts)
    for status in data.statuses():
        limit = limits.get(status, PAGE)
        newest_first = status in NEWEST_FIRST
        has_tasks = data.counts.get(status.value)
        data.columns[status] = (
            reader.column(status, limit, newest_first=newest_first) if has_tasks else []
        )
    shown = [t.id for tasks in data.columns.values() for t in tasks]
    data.figures.update(reader.run_figures(shown))
    data.agents = reader.agents()
    data.agent_tasks = reader.current_tasks()
    data.totals = reader.totals()
    data.unread = reader.unread(HUMAN)
    return data


async def load_columns(
    store: Store,
    conn: AsyncConnection,
    data: BoardData,
    statuses: list[TaskStatus],
    limits: dict[TaskStatus, int],
    board_filter: BoardFilter | None = None,
) -> None:
    """(Re)read the windows of these columns and the run figures of their cards."""
    active = board_filter is not None and board_filter.active
    for status in statuses:
        limit = limits.get(status, PAGE)
        if not data.counts.get(status.value):
            data.columns[status] = []
        elif not active:
            data.columns[status] = await column_tasks(store, conn, status, limit)
        else:
            assert board_filter is not None
            # Filtering in SQL finds matches beyond each column's loaded page.
            wanted = not board_filter.statuses or status in board_filter.statuses
            match = board_filter.match()
            count = await store.tasks.count_matching(conn, status, match) if wanted else 0
            data.matched[status] = count
            data.columns[status] = (
                await column_tasks(store, conn, status, limit, match) if count else []
            )
    shown = [t.id for status in statuses for t in data.columns[status]]
    data.figures.update(await run_figures(conn, shown))
