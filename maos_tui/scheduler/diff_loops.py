"""Progress of a work run in its worktree: an agent that keeps acting while its diff does
not move is looping, however varied its calls (scheduler/loops.py catches the repeats).

The diff is sampled (worktrees/fingerprint.py, in a thread) only when a threshold is
reached: at the run's first action (the baseline), then once the agent has made
`loop_diff_steps` tool calls or acted for `loop_diff_minutes` since the diff was last seen
to change. A command agent makes no tool calls its runner sees: the minutes count, while
it keeps printing. Unchanged then is a Loop of pattern `diff`: first a nudge, and the same
again (that many more steps or minutes, still unchanged) escalates. A change starts the
count afresh, nudges included: the agent heard and moved.

Pure bookkeeping here, the sampling done by the caller: `due` says when to sample, `seen`
takes the fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maos_tui.scheduler.loops import Loop

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings


# Calls that end the run are no action to count: an agent told it makes no progress may
# well finish (a task can need no change to files), and must not be stopped for that.
FINISHING_CALLS = ("complete_task ", "fail_task ")


def finishes(call: str) -> bool:
    """Is this tool call ("NAME ARGUMENTS") one that ends the run?"""
    return f"{call} ".startswith(FINISHING_CALLS)


@dataclass(frozen=True, slots=True)
class DiffLimits:
    steps: int = 15
    seconds: float = 20 * 60.0

    @classmethod
    def of(cls, settings: SchedulerSettings) -> DiffLimits:
        return cls(settings.loop_diff_steps, settings.loop_diff_minutes * 60)


def for_humans(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} seconds"
    return f"{int(seconds // 60)} minutes"


class DiffProgress:
    def __init__(self, limits: DiffLimits) -> None:
        self.limits = limits
        self._fingerprint: str | None = None  # the diff as last seen to change
        self._since = 0.0  # when that was (the loop's clock)
        self._steps = 0  # tool calls since
        self._next_steps = limits.steps
        self._next_seconds = limits.seconds
        self._nudged = False
        self._sampling = False  # a sample is being taken: observations meanwhile wait

    def due(self, now: float, *, step: bool) -> bool:
        """The agent acted (`step`: a tool call). True when the diff is to be sampled now;
        the caller then calls `seen`, whatever the sample gave."""
        if step:
            self._steps += 1
        if self._sampling:
            return False
        baseline = self._fingerprint is None
        if not (
            baseline or self._steps >= self._next_steps or now - self._since >= self._next_seconds
        ):
            return False
        self._sampling = True
        return True

    def seen(self, fingerprint: str | None, now: float) -> Loop | None:
        """The sample `due` asked for (None: it could not be taken). A Loop when the diff
        has not moved past a threshold."""
        self._sampling = False
        if fingerprint is None:
            # No verdict: the next sample waits for the next threshold, not the next step.
            self._next_steps = self._steps + self.limits.steps
            self._next_seconds = now - self._since + self.limits.seconds
            return None
        if fingerprint != self._fingerprint:
            self._fingerprint, self._since, self._nudged = fingerprint, now, False
            self._steps = 0
            self._next_steps, self._next_seconds = self.limits.steps, self.limits.seconds
            return None
        elapsed = now - self._since
        if self._steps >= self._next_steps:
            shown = f"{self._steps} steps"
        else:
            shown = for_humans(elapsed) + (f" ({self._steps} steps)" if self._steps else "")
        escalate = self._nudged
        self._nudged = True
        self._next_steps = self._steps + self.limits.steps
        self._next_seconds = elapsed + self.limits.seconds
        return Loop("diff", shown, self._steps, escalate)
