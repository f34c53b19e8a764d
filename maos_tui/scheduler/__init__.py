"""The scheduler: one per workspace, in the TUI's process or headless (`maos-tui run`)."""

from maos_tui.scheduler.clock import Clock, SystemClock, backoff_seconds
from maos_tui.scheduler.core import ActiveRun, Scheduler
from maos_tui.scheduler.lock import SchedulerBusy, scheduler_holder

__all__ = [
    "ActiveRun",
    "Clock",
    "Scheduler",
    "SchedulerBusy",
    "SystemClock",
    "backoff_seconds",
    "scheduler_holder",
]
