"""The scheduler's copy of the tasks it may place, kept between passes.

Listing and hydrating every open task on each pass cost ~0.7 s at 10,000 tasks. Instead the
backlog is read in full once, then only the tasks named by this process's events are read
again (with the tasks depending on them, whose `blocked` follows their status). A change
it cannot pin to tasks (another process's commit, an event without a task) reads it all
again.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from maos_tui.domain import TaskRecord, TaskStatus
from maos_tui.scheduler.planner import WORK_STATUSES
from maos_tui.store.records import seq_key

if TYPE_CHECKING:
    from maos_tui.store import Store
    from maos_tui.store.core import Reader

PLANNED = frozenset({*WORK_STATUSES, TaskStatus.REVIEW})
# Past this many changed tasks, one full read is cheaper than reading them one by one.
_FULL_READ_ABOVE = 500

_Key = tuple[int, tuple[int, str]]


def _order(task: TaskRecord) -> _Key:
    """The order tasks are placed in: priority, then age (as TaskService.list sorts)."""
    return (task.priority, seq_key(task.id))


class Backlog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._tasks: dict[str, TaskRecord] = {}
        self._order: list[tuple[_Key, str]] = []  # sorted
        # The agent that did the work of each task in review (a reviewer must be another).
        self.authors: dict[str, str] = {}
        # Tasks waiting for a person to answer their agent's question.
        self.parked: set[str] = set()
        self._changed: set[str] = set()
        # For each task, the open tasks that wait for it (from their `after`).
        self._waiting: dict[str, set[str]] = {}
        self._stale = True
        self._listed: list[TaskRecord] | None = None  # tasks(), until something changes

    def changed(self, task_id: str | None) -> None:
        """Note a committed change to a task; None when it is not known which."""
        if task_id is None:
            self._stale = True
        else:
            self._changed.add(task_id)

    def started(self, tasks: list[TaskRecord]) -> None:
        """The scheduler started runs on these tasks, and they are as given (it wrote
        them and has their records): kept without reading them again. The events of
        that transaction are not noted as changes; any other change still is."""
        for task in tasks:
            old = self._tasks.get(task.id)
            if old is None:
                continue  # not open: a reply run on a finished task, say
            if task.status not in PLANNED or task.archived:
                self._drop(task.id)
                continue
            if _order(old) != _order(task):
                del self._order[bisect.bisect_left(self._order, (_order(old), task.id))]
                bisect.insort(self._order, (_order(task), task.id))
            self._tasks[task.id] = task
        self._listed = None

    def get(self, task_id: str) -> TaskRecord | None:
        """The open task as last read, or None if it is not open (or archived)."""
        return self._tasks.get(task_id)

    def tasks(self) -> list[TaskRecord]:
        """The open, unparked tasks in placement order (not to be modified)."""
        if self._listed is None:
            self._listed = [self._tasks[tid] for _, tid in self._order if tid not in self.parked]
        return self._listed

    def set_reasons(self, reasons: Mapping[str, str | None]) -> None:
        """The scheduler wrote these waiting reasons; no need to read the tasks back."""
        for task_id, reason in reasons.items():
            task = self._tasks.get(task_id)
            if task is not None:
                self._tasks[task_id] = replace(task, status_reason=reason)
        self._listed = None

    async def refresh(self, reader: Reader) -> None:
        """Bring the copy up to date, reading in `reader`'s transaction. Changes noted
        while this runs wait for the next call; they are committed before being noted, so
        none is lost in between."""
        if self._stale or len(self._changed) > _FULL_READ_ABOVE:
            self._stale = False
            self._changed.clear()
            await self._read_all(reader)
        elif self._changed:
            changed, self._changed = self._changed, set()
            # A task's `blocked` follows its dependencies: read the open tasks waiting for
            # the changed ones too. Tasks that are not open need no read: one that opens
            # (or starts depending on another) changes, and so is read anyway.
            dependents = {d for t in changed for d in self._waiting.get(t, ())}
            await self._read(reader, changed | dependents)

    async def _read_all(self, reader: Reader) -> None:
        found = await self.store.scheduling.open_tasks_in(reader, PLANNED)
        tasks = found.tasks
        self._tasks = {t.id: t for t in tasks}
        self._order = sorted((_order(t), t.id) for t in tasks)
        self._waiting = {}
        for task in tasks:
            self._wait(task)
        self.authors, self.parked = found.authors, found.parked
        self._listed = None

    async def _read(self, reader: Reader, ids: set[str]) -> None:
        found = await self.store.scheduling.open_tasks_in(reader, PLANNED, ids)
        for task_id in ids:
            self._drop(task_id)
        for task in found.tasks:
            self._tasks[task.id] = task
            self._wait(task)
            bisect.insort(self._order, (_order(task), task.id))
        self.authors.update(found.authors)
        self.parked |= found.parked
        self._listed = None

    def _drop(self, task_id: str) -> None:
        self.parked.discard(task_id)
        self.authors.pop(task_id, None)
        task = self._tasks.pop(task_id, None)
        if task is not None:
            entry = (_order(task), task_id)
            del self._order[bisect.bisect_left(self._order, entry)]
            for dependency in task.after:
                waiting = self._waiting.get(dependency)
                if waiting is not None:
                    waiting.discard(task_id)
                    if not waiting:
                        del self._waiting[dependency]

    def _wait(self, task: TaskRecord) -> None:
        for dependency in task.after:
            self._waiting.setdefault(dependency, set()).add(task.id)
