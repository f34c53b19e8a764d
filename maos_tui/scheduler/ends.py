"""Recording how runs ended, when the database may refuse it for a while (a full disk).

A run whose end the database refuses keeps its slot, so its task (still in_progress in the
database) is not placed and run again, and its end is recorded again on each pass until it
is saved. Failures are said through the scheduler's Failures (maos_tui.failures)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from maos_tui.scheduler import outcomes
from maos_tui.store.errors import StoreError

if TYPE_CHECKING:
    from maos_tui.agents.base import RunResult
    from maos_tui.scheduler.core import ActiveRun, Scheduler

End = tuple["ActiveRun", "RunResult | None"]


async def record_ends(s: Scheduler, ends: Sequence[End]) -> list[None]:
    """Record runs that ended together in one transaction; if that fails, one by one, so a
    run that cannot be recorded does not take the others down with it."""
    left: list[End] = []

    def failed(end: End, exc: Exception) -> None:
        s.failures.report(f"could not record the end of run {end[0].run_id}", exc)
        # The database or the disk refused it (full, locked): they will take it later.
        # Anything else is a bug that would fail again: the run is left open, as after a
        # crash, for the next start's recovery.
        if isinstance(exc, (StoreError, OSError)):
            left.append(end)

    try:
        try:
            await outcomes.finish_runs(s, ends)
        except Exception as exc:
            if len(ends) == 1:
                failed(ends[0], exc)
            else:
                for end in ends:
                    try:
                        await outcomes.finish_runs(s, [end])
                    except Exception as one:
                        failed(end, one)
    finally:
        # Before anything else runs: the next pass must see these slots free, and must
        # not take the runs' tasks, already moved on, for tasks moved by someone else.
        kept = {id(active) for active, _ in left}
        for active, _ in ends:
            if id(active) not in kept:
                s._forget(active)
        s.unrecorded.extend(left)
        s.wake()
    return [None] * len(ends)


async def record_again(s: Scheduler) -> None:
    """Each pass: try again to record the ends that could not be recorded."""
    if not s.unrecorded:
        return
    ends, s.unrecorded[:] = list(s.unrecorded), []
    now = asyncio.get_running_loop().time()
    for active, _ in ends:
        active.last_progress = now  # ended, not stalled: its agent is not marked offline
    await record_ends(s, ends)
