"""The forecast gate's records (maos_tui/scheduler/forecast_gate.py): a run held because
its forecast would pass a budget, and a person's allowance to start it once anyway.

No column of its own: a hold is the task's waiting reason plus an Activity, and an
allowance is an Activity that counts until the task's next run starts (the `started`
Activity that start_runs_in writes)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from maos_tui.domain import HUMAN, TaskRecord
from maos_tui.forecast import HELD
from maos_tui.store.models import Activity

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.store.core import Store

HELD_VERB = "held by forecast"
ALLOWED_VERB = "allowed past forecast"
_STARTED = "started"


class ForecastHoldService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def hold(
        self, tasks: Mapping[str, TaskRecord], holds: Mapping[str, tuple[str, dict[str, Any]]]
    ) -> None:
        """Show why each task is held (its reason, as `held: forecast ...`) with an
        Activity, for the tasks not already showing that reason."""
        fresh = {i: h for i, h in holds.items() if tasks[i].status_reason != h[0]}
        if not fresh:
            return
        async with self.store.write() as tx:
            for task_id, (reason, details) in fresh.items():
                await self.store.scheduling.note_in(
                    tx, task_id, HELD_VERB, details, status_reason=reason
                )

    async def allow(self, task_id: str, actor: str = HUMAN) -> TaskRecord:
        """Let the task's next run start whatever its forecast; DomainError if no task."""
        store = self.store
        async with store.write() as tx:
            task = await store.tasks.get(task_id, tx.conn)
            values = {}
            if task.status_reason and task.status_reason.startswith(HELD):
                values["status_reason"] = None
            await store.scheduling.note_in(tx, task.id, ALLOWED_VERB, {}, actor=actor, **values)
        return await store.tasks.get(task.id)

    async def allowed(self, conn: AsyncConnection, task_ids: Collection[str]) -> set[str]:
        """Of these tasks, those allowed once and not started since."""
        if not task_ids:
            return set()
        rows = await conn.execute(
            select(Activity.task_id, Activity.verb, func.max(Activity.id))
            .where(
                Activity.task_id.in_(list(task_ids)),
                Activity.verb.in_((ALLOWED_VERB, _STARTED)),
            )
            .group_by(Activity.task_id, Activity.verb)
        )
        newest: dict[str, dict[str, int]] = {}
        for task_id, verb, last in rows.all():
            newest.setdefault(task_id, {})[verb] = int(last)
        return {
            task_id
            for task_id, last in newest.items()
            if last.get(ALLOWED_VERB, 0) > last.get(_STARTED, 0)
        }
