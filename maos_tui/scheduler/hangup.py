"""Stopping every agent at once when the process hosting the scheduler is told to go
(SIGHUP from a closed terminal, SIGTERM, SIGINT): their process groups are killed right
away, from the signal handler, before the app winds down and records the runs as stopped
(their tasks back in the inbox, no retry counted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maos_tui.agents.command import kill_orphan

if TYPE_CHECKING:
    from maos_tui.scheduler.core import Scheduler


def kill_agents_now(scheduler: Scheduler) -> int:
    """Kill the process group of each command agent run; returns how many were killed."""
    killed = 0
    for active in list(scheduler.active_runs.values()):
        active.stop("shutdown")
        killed += kill_orphan(scheduler.workspace.root, active.run_id)
    return killed
