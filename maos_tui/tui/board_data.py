"""One consistent read of everything the main screen shows.

Columns are windows: the first `limit` cards of each status, never the whole table, so a
10,000-task store costs the same to draw as a 300-task one. "N more" loads the next page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from maos_tui.domain import BOARD_STATUSES, AgentRecord, TaskRecord, TaskStatus
from maos_tui.store import Store
from maos_tui.tui.queries import TaskRunFigures, column_tasks, current_tasks, run_figures

PAGE = 100


@dataclass
class BoardData:
    columns: dict[TaskStatus, list[TaskRecord]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    figures: dict[str, TaskRunFigures] = field(default_factory=dict)
    agents: list[AgentRecord] = field(default_factory=list)
    agent_tasks: dict[str, str] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    unread: int = 0  # the person's unread notifications

    def statuses(self) -> list[TaskStatus]:
        """The board's columns: the five fixed ones, plus FAILED while it holds tasks."""
        shown = list(BOARD_STATUSES)
        if self.counts.get(TaskStatus.FAILED.value, 0):
            shown.append(TaskStatus.FAILED)
        return shown

    @property
    def total_tasks(self) -> int:
        return sum(self.counts.values())


async def load_board(store: Store, limits: dict[TaskStatus, int]) -> BoardData:
    data = BoardData()
    async with store.read() as conn:
        data.counts = await store.tasks.counts(conn)
        for status in data.statuses():
            data.columns[status] = (
                await column_tasks(store, conn, status, limits.get(status, PAGE))
                if data.counts.get(status.value)
                else []
            )
        shown = [t.id for tasks in data.columns.values() for t in tasks]
        data.figures = await run_figures(conn, shown)
        data.agents = await store.agents.list(conn)
        data.agent_tasks = await current_tasks(conn)
        data.totals = await store.agents.totals(conn)
    return data
