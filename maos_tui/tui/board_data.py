"""One consistent read of everything the main screen shows.

Columns are windows: the first `limit` cards of each status, never the whole table, so a
10,000-task store costs the same to draw as a 300-task one. "N more" loads the next page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from maos_tui.domain import (
    BOARD_STATUSES,
    HUMAN,
    ActivityRecord,
    AgentRecord,
    TaskRecord,
    TaskStatus,
    utcnow,
)
from maos_tui.store.records import TaskRunFigures
from maos_tui.store.worker_records import live_count
from maos_tui.tui.filters import BoardFilter

if TYPE_CHECKING:
    from maos_tui.store import Store
    from maos_tui.store.stdlib.first_read import FirstReader
    from maos_tui.store.views import ReadView

PAGE = 100
# Finished columns read newest first: what was just completed is what people look for.
NEWEST_FIRST = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED})
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
    workers: int = 0  # live scheduler workers (store/workers.py)
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
    # Imported here: the first paint imports this module, and must not load SQLAlchemy.
    from maos_tui.store.views import read_view

    data = BoardData()
    async with read_view(store) as view:
        data.counts = await view.counts()
        data.stored_counts = dict(data.counts)
        await load_columns(view, data, data.statuses(), limits, board_filter)
        data.agents = await view.agents()
        data.agent_tasks = await view.current_tasks()
        data.totals = await view.totals()
        data.workers = live_count(await view.workers(), utcnow())
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
    data.workers = live_count(reader.workers(), utcnow())
    return data


async def load_columns(
    view: ReadView,
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
            data.columns[status] = await view.column(
                status, limit, newest_first=status in NEWEST_FIRST
            )
        else:
            assert board_filter is not None
            # Filtering in SQL finds matches beyond each column's loaded page.
            wanted = not board_filter.statuses or status in board_filter.statuses
            match = board_filter.match()
            count = await view.count_matching(status, match) if wanted else 0
            data.matched[status] = count
            newest_first = status in NEWEST_FIRST
            data.columns[status] = (
                await view.column(status, limit, newest_first=newest_first, match=match)
                if count
                else []
            )
    shown = [t.id for status in statuses for t in data.columns[status]]
    data.figures.update(await view.run_figures(shown))


async def reread_changed(
    store: Store,
    data: BoardData,
    changed: list[str],
    feed_after: int,
    expected: tuple[int, int],
    limits: dict[TaskStatus, int],
) -> list[ActivityRecord] | None:
    """Re-read only the columns that changes to the `changed` tasks concern, then return
    the feed after `feed_after`; provided the store's commits since are just the ones
    expected: (how many Activities, the newest ID). None, `data` untouched, otherwise."""
    from maos_tui.store.views import read_view

    async with read_view(store) as view:
        # Another process's commit in between shows as an Activity that is not ours.
        if await view.activities_since(feed_after) != expected:
            return None
        counts = await view.counts()
        stale = {s for s in TaskStatus if counts[s.value] != data.stored_counts.get(s.value)}
        stale |= await view.statuses_of(changed)
        # Columns showing a changed task, or one waiting on it (its `blocked` badge).
        affected = set(changed) | await view.dependents_of(changed)
        stale |= {s for s, tasks in data.columns.items() if any(t.id in affected for t in tasks)}
        data.counts = counts
        data.stored_counts = dict(counts)
        wanted = data.statuses()
        for status in set(data.columns) - set(wanted):
            del data.columns[status]
        await load_columns(view, data, [s for s in wanted if s in stale], limits)
        return await view.activities_after(feed_after)


async def read_feed(store: Store, after_id: int, limit: int | None = None) -> list[ActivityRecord]:
    """The activity feed after `after_id`, oldest first: the newest `limit` (by default
    the feed's whole history)."""
    from maos_tui.store.views import read_view

    async with read_view(store) as view:
        return await view.activities_after(after_id, limit)
