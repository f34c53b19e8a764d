"""What a scheduler that died left behind, put right by the next one's start, and by any
live worker once a dead worker's leases expire (scheduler/seat.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from maos_tui.agents.command import kill_orphan
from maos_tui.domain import TaskStatus
from maos_tui.scheduler.outcomes import fail_or_retry
from maos_tui.store import claims
from maos_tui.store.agent_status import SCHEDULER

if TYPE_CHECKING:
    from maos_tui.scheduler.core import Scheduler
    from maos_tui.store import Tx

_CRASHED = "the scheduler stopped unexpectedly"


async def recover(s: Scheduler) -> None:
    """Requeue what a dead scheduler left behind, counting a retry, kill its agents'
    processes and set the agents it left active back to idle. On SQLite that is every
    open run (the scheduler lock says no other scheduler runs); on a shared database,
    those of dead workers and of an earlier process with this worker's name."""
    store = s.store
    if store.shared:
        await reap(s, s.seat.name, mine=True)
        return
    async with store.read() as conn:
        # A claim over MCP is not this scheduler's run: its client may still be at work (a
        # quiet one's claim is released by the stall rule, store/claims.py).
        open_runs = [r for r in await store.runs.open_runs(conn) if r.kind != claims.CLAIM]
    for run in open_runs:
        kill_orphan(s.workspace.root, run.id)
    async with store.write() as tx:
        await requeue_in(s, tx, [(r.id, r.task_id) for r in open_runs], _CRASHED)
        await store.agent_status.reset_active_in(tx, _CRASHED)


async def reap(s: Scheduler, worker: str, *, mine: bool = False) -> None:
    """End the runs of workers that stopped heartbeating (and, with `mine`, those leased
    to this worker's name by an earlier process) and requeue their tasks, counting a
    retry; the runs' late results are then refused (store/leases.py)."""
    store = s.store
    async with store.write() as tx:
        lost = await store.leases.expired_in(tx, worker)
        for run in lost:
            error = f"worker {run.worker} stopped heartbeating; its lease expired"
            await requeue_in(s, tx, [(run.run_id, run.task_id)], error)
        if mine:
            left = await store.leases.mine_in(tx, worker) + await store.leases.unleased_in(tx)
            await requeue_in(s, tx, [(run.run_id, run.task_id) for run in left], _CRASHED)
            lost += left
        if lost or mine:
            still = {agent for _, agent in await store.leases.open_runs(tx.conn)}
            await store.agent_status.reset_active_in(tx, _CRASHED, keep=still)
        tx.quiet = not tx.events  # most beats find nothing: nobody needs telling
    for run in lost:  # the processes of a worker of this checkout, if it was one
        kill_orphan(s.workspace.root, run.run_id)


async def requeue_in(s: Scheduler, tx: Tx, runs: Sequence[tuple[int, str]], why: str) -> None:
    """End these (run, task) as crashed and put their tasks back, a retry counted."""
    store = s.store
    for run_id, _ in runs:
        await store.runs.finish_in(tx, run_id, "crashed", why)
    # Only tasks a run was working on: one a person moved to in_progress, or one parked on
    # a question to them, was left by nobody and is simply run (or waits) as it is.
    stranded = {task_id for _, task_id in runs}
    tasks = {t.id: t for t in await store.tasks.get_many_in(tx, stranded)}
    for task_id in sorted(stranded):
        task = tasks.get(task_id)
        if (
            task is None
            or task.archived
            or task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)
        ):
            continue
        error = f"requeued: {why}"
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
