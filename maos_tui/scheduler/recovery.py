"""What a scheduler that died left behind, put right by the next one's start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maos_tui.agents.command import kill_orphan
from maos_tui.domain import TaskStatus
from maos_tui.scheduler.outcomes import fail_or_retry
from maos_tui.store.agent_status import SCHEDULER

if TYPE_CHECKING:
    from maos_tui.scheduler.core import Scheduler

_CRASHED = "the scheduler stopped unexpectedly"


async def recover(s: Scheduler) -> None:
    """Requeue what a dead scheduler left behind, counting a retry, kill its agents'
    processes and set the agents it left active back to idle."""
    store = s.store
    async with store.read() as conn:
        open_runs = await store.runs.open_runs(conn)
    for run in open_runs:
        kill_orphan(s.workspace.root, run.id)
    # Only tasks a run was working on: one a person moved to in_progress, or one parked on
    # a question to them, was left by nobody and is simply run (or waits) as it is.
    stranded = {r.task_id for r in open_runs}
    async with store.write() as tx:
        for run in open_runs:
            await store.runs.finish_in(tx, run.id, "crashed", _CRASHED)
        tasks = {t.id: t for t in await store.tasks.get_many_in(tx, stranded)}
        for task_id in sorted(stranded):
            task = tasks.get(task_id)
            if (
                task is None
                or task.archived
                or task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)
            ):
                continue
            error = f"requeued: {_CRASHED}"
            if task.retry_count >= task.max_retries:
                await fail_or_retry(s, tx, task, error, actor=SCHEDULER)
            elif task.status is TaskStatus.REVIEW:
                details = {"reason": error}
                await store.scheduling.note_in(
                    tx, task.id, "requeued", details, retry_count=task.retry_count + 1
                )
            else:
                await store.scheduling.requeue_in(
                    tx, task, reason=error, retry_count=task.retry_count + 1
                )
        await store.agent_status.reset_active_in(tx, _CRASHED)
