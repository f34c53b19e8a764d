"""Starting the runs a pass placed: one transaction for all of them (store.scheduling)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from maos_tui.agents.context import Draft, draft_many
from maos_tui.store.leases import ClaimBusy
from maos_tui.store.scheduling import RunStart

if TYPE_CHECKING:
    from maos_tui.scheduler.core import Scheduler
    from maos_tui.scheduler.planner import Placement


async def begin_runs(
    s: Scheduler, placements: list[Placement]
) -> list[tuple[Placement, tuple[int, int], Draft]]:
    """Assign and start a pass's placements in one transaction, leased to this worker.
    Returns the placements started, each with the task as this transaction left it, its
    run ID and attempt, and its context as this transaction reads it; a task that changed
    since it was planned, whose agent was removed meanwhile, or that the leases did not
    admit (another worker took it, the limits are reached) is left out."""
    if not placements:
        return []
    starts = [RunStart(p.task, p.agent.name, p.kind) for p in placements]
    try:
        async with s.store.write() as tx:
            started = await s.store.scheduling.start_runs_in(tx, starts, s.seat.terms)
            if not started:
                tx.quiet = True  # it wrote nothing: the other workers need not plan again
            begun = [
                (replace(placements[st.index], task=st.task), (st.run_id, st.attempt))
                for st in started
            ]
            wanted = [(placement.task, placement.agent.name) for placement, _ in begun]
            drafts = await draft_many(s.store, tx, wanted)
            s.starting(tx.events)
    except ClaimBusy:
        # Planned again when the other worker's claim is heard of, or on the loop's next
        # turn (within its POLL_SECONDS), as a claim that started nothing is not told.
        # Not idle meanwhile: work is waiting.
        s._dirty = True
        return []
    # Placements the claim did not admit (another worker took them, or the limits were
    # reached across workers): read again and planned again at once.
    for task_id in {p.task.id for p in placements} - {p.task.id for p, _ in begun}:
        s._backlog.changed(task_id)
        s.wake()
    return [(p, run_id, draft) for (p, run_id), draft in zip(begun, drafts, strict=True)]
