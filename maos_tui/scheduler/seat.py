"""This scheduler as one worker among those sharing the database: its row in the workers
table, its heartbeat (which also keeps its leases), and taking back the leases of workers
that stopped heartbeating (store/workers.py, store/leases.py).

On PostgreSQL any number of workers may run, on any machines; on SQLite the scheduler
lock still allows one per workspace, which registers all the same, so `status` and the
app's header show it.

On PostgreSQL an agent runs only on workers whose machine has what it needs: a command
agent's program (as `agent check` finds it on PATH), an LLM agent's provider keys. A
worker without them records so on its row, leaves the agent's tasks to the others and,
when no live worker has them, says so on their cards. The agent's own status is never
touched: it stays usable for the workers that have them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from maos_tui.agents.readiness import missing_program
from maos_tui.domain import AgentStatus, utcnow
from maos_tui.scheduler import recovery
from maos_tui.store.leases import LeaseTerms
from maos_tui.store.worker_records import can_run_anywhere

if TYPE_CHECKING:
    from maos_tui.domain import AgentRecord
    from maos_tui.scheduler.active import ActiveRun
    from maos_tui.scheduler.core import Scheduler

log = logging.getLogger(__name__)


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Seat:
    def __init__(self, s: Scheduler, name: str | None = None) -> None:
        self._s = s
        self.name = name or default_name()
        self.interval = s.settings.worker_heartbeat_seconds
        self._beating: asyncio.Task[None] | None = None
        self._taken = False
        # The agents this machine cannot run, with what it lacks ("program claude on
        # PATH", "OPENAI_API_KEY"), as on its row;
        # looked for again every heartbeat, so a program installed meanwhile counts, and
        # at once for an agent added since.
        self.cannot_run: dict[str, str] = {}
        self._looked_at: set[str] = set()
        self._keys_loaded = False  # as the gate said at the last look

    @property
    def terms(self) -> LeaseTerms:
        return LeaseTerms(self.name, self.interval, self._s.settings.max_parallel)

    async def take(self) -> None:
        """Register the worker (DomainError if a live one has the name), then recover
        what dead workers left behind."""
        await self._register()
        if self._s.store.shared:
            await self._publish(self._look(await self._s.store.agents.list()))
        await recovery.recover(self._s)

    async def _register(self) -> None:
        await self._s.store.workers.register(
            self.name, socket.gethostname(), os.getpid(), self.interval, self.cannot_run
        )
        self._taken = True

    def start_beating(self) -> None:
        self._beating = asyncio.create_task(self._beat_forever(), name="maos-worker-heartbeat")

    async def leave(self) -> None:
        """A clean exit: no more heartbeats, and the worker's row goes."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None
        if not self._taken:  # the name may be another live worker's
            return
        self._taken = False
        try:
            await self._s.store.workers.stop(self.name)
        except Exception as exc:  # its row expires by itself; others remove it
            self._s.failures.report("could not remove this worker's row", exc)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception as exc:  # the database is away: the next beat tries again
                self._s.failures.report("worker heartbeat failed", exc)

    async def beat(self) -> None:
        """Keep this worker and its leases alive, and take back dead workers' leases."""
        s = self._s
        if not await s.store.workers.heartbeat(self.name, self.interval):
            # Taken for dead (it could not heartbeat for three intervals): its runs were
            # ended and their tasks requeued, so its late results would be refused.
            log.warning("worker %s lost its leases; its runs are stopped", self.name)
            for active in list(s.active_runs.values()):
                active.stop_reason = "lost"
                if active.handle is not None:
                    active.handle.cancel()
            await self._register()
        await recovery.reap(s, self.name)
        if s.store.shared:
            before = self.cannot_run
            await self._publish(self._look(await s.store.agents.list()))
            if self.cannot_run != before:
                s.wake()

    def _look(self, agents: list[AgentRecord]) -> dict[str, str]:
        self._looked_at = {agent.name for agent in agents}
        self._keys_loaded = self._s.gate.keys_loaded
        found = {}
        for agent in agents:
            program = missing_program(agent)
            lacks = f"program {program} on PATH" if program else self._s.gate.lacking(agent)
            if lacks:
                found[agent.name] = lacks
        return found

    async def runnable(self, agents: list[AgentRecord]) -> list[AgentRecord]:
        """The agents as this worker may place them. On a shared database, an agent that
        no live worker can run shows offline, for this pass only, so its tasks say why
        they wait; every worker that cannot run it writes the same reason."""
        if not self._s.store.shared:
            return agents  # one scheduler: a missing program fails the run, as it says
        looked = self._looked_at
        if self._keys_loaded != self._s.gate.keys_loaded or any(
            agent.name not in looked for agent in agents
        ):
            await self._publish(self._look(agents))
        if not self.cannot_run:
            return agents
        async with self._s.store.read() as conn:
            workers = await self._s.store.workers.list(conn)
        now = utcnow()
        return [
            agent
            if agent.name not in self.cannot_run
            or agent.status in (AgentStatus.PAUSED, AgentStatus.OFFLINE)
            or can_run_anywhere(workers, agent.name, now)
            else replace(
                agent,
                status=AgentStatus.OFFLINE,
                status_reason=f"no worker has {self.cannot_run[agent.name]}",
            )
            for agent in agents
        ]

    async def _publish(self, cannot_run: dict[str, str]) -> None:
        """On the worker's row, with an Activity (a line of `run`) for each change."""
        if cannot_run == self.cannot_run:
            return
        await self._s.store.workers.set_cannot_run(self.name, self.cannot_run, cannot_run)
        self.cannot_run = cannot_run

    def may_run(self, agent: str) -> bool:
        """Not left out by the agent's `[[agents]] workers`, and what it needs is here."""
        if agent in self.cannot_run:
            return False
        only = next((a.get("workers") for a in self._s.config.agents if a["name"] == agent), None)
        return not only or self.name in only

    def load(
        self,
        own: Mapping[str, ActiveRun],
        open_runs: list[tuple[str, str]],
        agents: list[AgentRecord],
    ) -> tuple[dict[str, int], set[str]]:
        """Each agent's runs and the tasks being run, by this worker (`own`, by task) and
        by every other one (`open_runs`, (task, agent) as the database has them). An agent
        whose `[[agents]] workers` leave this worker out counts as fully busy here: its
        tasks wait for a worker it may run on, without a reason that workers would
        overwrite in turn. So does an agent this machine cannot run (`cannot_run`)."""
        load = Counter(active.agent for active in own.values())
        load.update(agent for task_id, agent in open_runs if task_id not in own)
        for agent in agents:
            if not self.may_run(agent.name):
                load[agent.name] = max(load[agent.name], agent.max_concurrent)
        return dict(load), set(own) | {task_id for task_id, _ in open_runs}
