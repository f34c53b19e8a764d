"""Runs in progress: what the scheduler keeps about each, the hooks its runner reports
progress, output and spend through, and the stop of runs whose task moved away."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from maos_tui.agents.secrets import scrub
from maos_tui.domain import TaskStatus
from maos_tui.scheduler.diff_loops import DiffLimits, DiffProgress, finishes
from maos_tui.scheduler.loops import Loop, LoopDetector, LoopLimits
from maos_tui.store.runs import LOG_TAIL_CHARS
from maos_tui.worktrees.errors import WorktreeError
from maos_tui.worktrees.fingerprint import diff_fingerprint

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings
    from maos_tui.scheduler.backlog import Backlog
    from maos_tui.scheduler.worktree_runs import RunTree
    from maos_tui.store import Store

log = logging.getLogger(__name__)

# Output held for a run between flushes, at most: then only its tail is kept.
_PENDING_OUTPUT_CHARS = 4 * LOG_TAIL_CHARS


@dataclass
class ActiveRun:
    run_id: int
    task_id: str
    agent: str
    kind: str
    started_at: datetime
    heartbeat_seconds: int
    last_progress: float
    handle: asyncio.Task[None] | None = None
    attempt: int = 0  # the task's lease's: what fences the run's writes (store/leases.py)
    stop_reason: str | None = None  # cancelled | shutdown | stalled | looping | lost
    loop_evidence: str = ""  # what the run repeated, when it was stopped for looping
    # Output waiting to be written: the main loop flushes it every pass (at most every
    # POLL_SECONDS), and the end of the run writes the rest in its own transaction.
    pending_output: list[str] = field(default_factory=list)
    # Held while output taken from `pending_output` is being written: a flush waiting on
    # the write lock must not let the end of the run commit later output before it.
    log_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Whether any output was written before the run's end (else its log is still empty).
    logged: bool = False
    pending_chars: int = 0
    tree: RunTree | None = None  # the task's worktree, with isolation

    def stop(self, reason: str) -> None:
        """Stop the run for `reason` (the first reason given is kept). Its task is
        cancelled once only: a second cancel would land in the code that records the
        end (cleaning up its worktree, say) and the end would never be recorded."""
        self.stop_reason = self.stop_reason or reason
        if self.handle is not None and not self.handle.done() and not self.handle.cancelling():
            self.handle.cancel()

    def add_output(self, text: str) -> None:
        self.pending_output.append(text)
        self.pending_chars += len(text)
        if self.pending_chars > _PENDING_OUTPUT_CHARS:
            # The store keeps the log's last LOG_TAIL_CHARS: an agent printing faster than
            # the loop flushes must not pile up more (100 MB of output took ~100 MB here).
            # Scrubbed first, as the whole text would be, so no cut secret survives.
            kept = scrub("".join(self.pending_output))[-LOG_TAIL_CHARS:]
            self.pending_output[:] = [kept]
            self.pending_chars = len(kept)

    def take_output(self) -> str:
        text = "".join(self.pending_output)
        self.pending_output.clear()
        self.pending_chars = 0
        return scrub(text)

    @property
    def expected(self) -> TaskStatus:
        """The state the run's task stays in while the run works on it."""
        return TaskStatus.REVIEW if self.kind == "review" else TaskStatus.IN_PROGRESS


class RunHooks:
    def __init__(self, store: Store, active: ActiveRun, settings: SchedulerSettings) -> None:
        self._store = store
        self._active = active
        self._loops = LoopDetector(LoopLimits.of(settings))
        self._diff = DiffProgress(DiffLimits.of(settings))

    def progress(self) -> None:
        self._active.last_progress = asyncio.get_running_loop().time()

    async def output(self, text: str) -> None:
        self.progress()
        self._active.add_output(text)

    async def usage(self, tokens_in: int, tokens_out: int, cost_usd: float) -> None:
        self.progress()
        await self._store.runs.add_usage(
            self._active.run_id, self._active.agent, tokens_in, tokens_out, cost_usd
        )

    async def observe(self, kind: str, payload: str) -> str | None:
        """Watch the run for loops (see scheduler/loops.py). Returns the message to give
        the agent when it starts looping; when it goes on after that, the run is stopped
        here (cancelled: the CancelledError comes out of this call)."""
        found = self._loops.observe(kind, payload) or await self._diff_loop(kind, payload)
        if found is None:
            return None
        active = self._active
        if not found.escalate:
            await self._store.loops.nudged(
                active.task_id, active.run_id, active.agent, found.evidence
            )
            return found.nudge
        if active.stop_reason is None and active.handle is not None:
            active.loop_evidence = found.evidence
            active.stop("looping")
        await asyncio.sleep(0)  # the cancel lands here, before the agent acts again
        return None

    async def _diff_loop(self, kind: str, payload: str) -> Loop | None:
        """A work run in a worktree that acts (a tool call, a line of output) without its
        diff moving (see scheduler/diff_loops.py)."""
        tree = self._active.tree
        if tree is None or self._active.kind != "work" or kind not in ("call", "output"):
            return None
        if kind == "call" and finishes(payload):
            return None
        now = asyncio.get_running_loop().time()
        if not self._diff.due(now, step=kind == "call"):
            return None
        fingerprint = None
        try:
            fingerprint = await asyncio.to_thread(diff_fingerprint, tree.worktree.path)
        except WorktreeError as exc:
            log.info("could not sample the diff of run %s: %s", self._active.run_id, exc)
        return self._diff.seen(fingerprint, asyncio.get_running_loop().time())


async def stop_moved_runs(store: Store, backlog: Backlog, runs: dict[str, ActiveRun]) -> None:
    """Stop runs whose task was cancelled, archived or moved away by someone else.

    The backlog, just refreshed, holds every open task: a running task still there,
    unarchived, in the state its run expects needs no read. The others, and the
    tasks of reply runs (any state will do, but not archived), are read."""
    if not runs:
        return
    unsure = []
    for task_id, active in runs.items():
        task = backlog.get(task_id)
        if active.kind != "reply" and task is not None and task.status is active.expected:
            continue
        unsure.append(task_id)
    if not unsure:
        return
    statuses = await store.tasks.states(unsure)
    for task_id in unsure:
        found = runs.get(task_id)
        if found is None:
            continue
        status, archived = statuses.get(task_id, (None, True))
        moved = status is not found.expected and found.kind != "reply"
        if (archived or moved) and found.stop_reason is None:
            found.stop("cancelled")


async def flush_output(store: Store, active: ActiveRun) -> None:
    """Write the run's output so far (a run that lost its lease writes nothing: runs.py)."""
    async with active.log_lock:
        if active.pending_output:
            active.logged = True
            await store.runs.append_log(active.run_id, active.take_output())
