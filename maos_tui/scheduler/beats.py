"""Agents' heartbeats, and what the scheduler does on them: mentions delivered to agents
with no task of their own, and runs that stopped making progress marked stalled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from maos_tui.domain import AgentRecord, AgentStatus
from maos_tui.scheduler.planner import Placement

if TYPE_CHECKING:
    from maos_tui.scheduler.active import ActiveRun
    from maos_tui.scheduler.core import Scheduler
    from maos_tui.store import Store

STALL_HEARTBEATS = 3


class Heartbeats:
    def __init__(
        self, scheduler: Scheduler, launch: Callable[[list[Placement]], Awaitable[None]]
    ) -> None:
        self._scheduler = scheduler
        self._launch = launch
        self._beats: dict[str, float] = {}
        # The agents as the last pass read them: due heartbeats are found without a read.
        self.agents: list[AgentRecord] | None = None

    async def beat(self, loop_now: float) -> list[AgentRecord]:
        """Agents heartbeat every heartbeat_seconds: last_heartbeat is written, an agent
        back from a stall comes online again, and the event lets idle agents find work.
        Returns the agents that were due."""

        def due_in(agents: list[AgentRecord]) -> list[AgentRecord]:
            return [
                a for a in agents if loop_now - self._beats.get(a.name, -1e9) >= a.heartbeat_seconds
            ]

        # Between heartbeats, the agents the last pass read say that none is due (one
        # added since wakes the scheduler, whose pass reads it).
        if self.agents is not None and not due_in(self.agents):
            return []
        store = self._scheduler.store
        due = due_in(await store.agents.list())
        if not due:
            return due
        busy = {r.agent for r in self._scheduler.active_runs.values()}
        async with store.write() as tx:
            for agent in due:
                self._beats[agent.name] = loop_now
                await store.agent_status.heartbeat_in(tx, agent, running=agent.name in busy)
        return due

    async def deliver_mentions(self, due: list[AgentRecord]) -> None:
        """On its heartbeat, an agent with an undelivered mention gets a short reply run
        on the mentioning task, even when it has no task of its own. A busy agent (or a
        task already running) waits for a later heartbeat."""
        scheduler = self._scheduler
        store = scheduler.store
        active_runs = scheduler.active_runs
        for agent in due:
            if agent.status in (AgentStatus.PAUSED, AgentStatus.OFFLINE):
                continue
            if not scheduler.seat.may_run(agent.name):  # left to the workers that may
                continue
            load = sum(1 for r in active_runs.values() if r.agent == agent.name)
            if load >= agent.max_concurrent or len(active_runs) >= scheduler.settings.max_parallel:
                continue
            pending = await store.notifications.pending_for(agent.name)
            task_id = next((n.task_id for n in pending if n.task_id not in active_runs), None)
            if task_id is None:
                continue
            task = await store.tasks.get(task_id)
            if task.archived:
                # Nobody can answer in an archived thread; do not wait for it forever.
                await store.notifications.mark_read(
                    [n.id for n in pending if n.task_id == task_id], agent.name
                )
                continue
            await self._launch([Placement(task, agent, "reply")])


def stalled_for(active: ActiveRun, loop_now: float) -> float | None:
    """How long a run has made no progress, if that is longer than its agent may."""
    quiet = loop_now - active.last_progress
    if active.stop_reason is None and quiet > STALL_HEARTBEATS * active.heartbeat_seconds:
        return quiet
    return None


async def stall(store: Store, active: ActiveRun, quiet: float) -> None:
    """Mark the run's agent offline and stop the run."""
    reason = f"stalled: no progress for {quiet:.0f}s"
    active.stop_reason = "stalled"
    await store.agent_status.change(
        active.agent, AgentStatus.OFFLINE, reason, verb="marked agent offline"
    )
    active.stop("stalled")
