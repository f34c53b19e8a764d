"""An agent's working state as the scheduler keeps it: active while it runs something,
idle after, its heartbeat, and the statuses the scheduler gives it (offline, paused by a
budget). Batch methods: runs start and end many at a time, in one transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update

from maos_tui.domain import AgentRecord, AgentStatus
from maos_tui.store.models import Agent
from maos_tui.store.prepared import Prepared

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx

SCHEDULER = "scheduler"
# The reason the scheduler gives an agent it marks offline for making no progress: such an
# agent comes back online on its next heartbeat with nothing running.
STALL_PREFIX = "stalled:"

_AGENTS = Agent.__table__  # type: ignore[attr-defined]
_STATUSES = Prepared(select(_AGENTS.c.name, _AGENTS.c.status))
_ASSIGNED = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"))
    .values(last_assigned_at=bindparam("_at"), status=bindparam("_status"))
)
_RELEASED = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"), _AGENTS.c.status == AgentStatus.ACTIVE.value)
    .values(status=AgentStatus.IDLE.value)
)
_HEARTBEAT = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"))
    .values(last_heartbeat=bindparam("_at"))
)
_BACK_ONLINE = Prepared(
    update(_AGENTS)
    .where(_AGENTS.c.name == bindparam("_name"))
    .values(last_heartbeat=bindparam("_at"), status=AgentStatus.IDLE.value, status_reason=None)
)


class AgentStatusService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def statuses_in(self, reader: Reader) -> dict[str, AgentStatus]:
        """Every agent's status, by name."""
        return {name: AgentStatus(status) for name, status in await reader.rows(_STATUSES)}

    async def assigned_in(self, tx: Tx, statuses: dict[str, AgentStatus]) -> None:
        """These agents were given runs: an idle one becomes active, and each records when
        it was last assigned. The runs' `started` Activities say why."""
        rows = []
        for name in sorted(statuses):
            status = statuses[name]
            if status is AgentStatus.IDLE:
                status = AgentStatus.ACTIVE
            rows.append({"_name": name, "_at": tx.now, "_status": status.value})
        await tx.run_many(_ASSIGNED, rows)

    async def released_in(self, tx: Tx, names: Iterable[str]) -> None:
        """These agents have no run left: an active one goes back to idle. The ended runs'
        Activities say why."""
        idle = sorted(set(names))
        await tx.run_many(_RELEASED, [{"_name": name} for name in idle])
        for name in idle:
            tx.notify("agent", agent=name)

    async def heartbeat_in(self, tx: Tx, agent: AgentRecord, *, running: bool) -> None:
        """Record the agent's heartbeat. One marked offline for a stall (as `agent` was
        last read) with nothing `running` comes back online, with its Activity."""
        name = agent.name
        back = (
            not running
            and agent.status is AgentStatus.OFFLINE
            and (agent.status_reason or "").startswith(STALL_PREFIX)
        )
        if back:
            await tx.run_many(_BACK_ONLINE, [{"_name": name, "_at": tx.now}])
            await tx.activity(
                SCHEDULER, "agent back online", topic="agent", agent=name, target=name
            )
        else:  # its own topic: WORKING.md shows no heartbeat, and its sync skips these
            await tx.run_many(_HEARTBEAT, [{"_name": name, "_at": tx.now}])
            tx.notify("heartbeat", agent=name)

    async def change(
        self,
        name: str,
        status: AgentStatus,
        reason: str | None,
        *,
        actor: str = SCHEDULER,
        verb: str | None = None,
    ) -> None:
        """Give the agent a status, in its own transaction with its Activity (a budget
        reached, a missing API key, the key found again, a stall)."""
        async with self.store.write() as tx:
            await self.store.agents.set_status_in(tx, name, status, reason)
            await tx.activity(
                actor,
                verb or f"set agent {status.value}",
                topic="agent",
                agent=name,
                target=name,
                reason=reason,
            )

    async def reset_active_in(
        self, tx: Tx, reason: str, *, actor: str = SCHEDULER, keep: Collection[str] = ()
    ) -> list[str]:
        """Agents left active by a scheduler that stopped go back to idle, each with an
        Activity saying why, but those in `keep` (other workers run them). Returns their
        names."""
        rows = await tx.conn.execute(
            select(Agent.name)
            .where(Agent.status == AgentStatus.ACTIVE.value, Agent.name.not_in(list(keep)))
            .order_by(Agent.name)
        )
        names = [name for (name,) in rows.all()]
        if names:
            await tx.conn.execute(
                update(Agent).where(Agent.name.in_(names)).values(status=AgentStatus.IDLE.value)
            )
        for name in names:
            await tx.activity(
                actor,
                "reset agent",
                topic="agent",
                agent=name,
                target=name,
                reason=reason,
                to=AgentStatus.IDLE.value,
            )
        return names
