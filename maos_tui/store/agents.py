"""Agent reads and mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import (
    HUMAN,
    AgentRecord,
    AgentStatus,
    DomainError,
    TaskStatus,
)
from maos_tui.store.agent_values import agent_values, check_entered_model, plan_config_agents
from maos_tui.store.models import Agent, Run, Task, TaskAssignee
from maos_tui.store.prepared import Prepared
from maos_tui.store.records import agent_record, totals_of
from maos_tui.store.stdlib.twins import stdlib_twin

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx

LIST = Prepared(select(Agent.__table__).order_by(Agent.__table__.c.name))  # type: ignore[attr-defined]
LIST_KEYS = tuple(c.key for c in LIST.statement.selected_columns)
ONE = select(Agent).where(Agent.name == bindparam("name"))
TOTALS = select(
    func.coalesce(func.sum(Run.tokens_in), 0),
    func.coalesce(func.sum(Run.tokens_out), 0),
    func.coalesce(func.sum(Run.cost_usd), 0.0),
)


class AgentService:
    def __init__(self, store: Store) -> None:
        self.store = store

    @stdlib_twin()
    async def get(self, name: str, conn: AsyncConnection | None = None) -> AgentRecord:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(name, fresh)
        row = (await conn.execute(ONE, {"name": name})).mappings().first()
        if row is None:
            raise DomainError(f"unknown agent {name}")
        return agent_record(row)

    @stdlib_twin()
    async def list(self, conn: AsyncConnection | None = None) -> list[AgentRecord]:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(fresh)
        rows = (await conn.execute(LIST.statement)).mappings().all()
        return [agent_record(r) for r in rows]

    async def list_in(self, reader: Reader) -> list[AgentRecord]:
        """`list`, with a Prepared statement (the scheduler reads it on every pass)."""
        return [
            agent_record(dict(zip(LIST_KEYS, row, strict=True))) for row in await reader.rows(LIST)
        ]

    async def add(self, name: str, *, actor: str = HUMAN, **definition: Any) -> AgentRecord:
        values = agent_values(name, **definition)
        check_entered_model(values["model"])
        async with self.store.write() as tx:
            exists = await tx.conn.execute(select(Agent.name).where(Agent.name == name))
            if exists.first() is not None:
                raise DomainError(f"agent {name} already exists")
            await tx.conn.execute(insert(Agent).values(**values, created_at=tx.now))
            await tx.activity(actor, "added agent", topic="agent", agent=name, target=name)
            return await self.get(name, tx.conn)

    async def update(self, name: str, *, actor: str = HUMAN, **definition: Any) -> AgentRecord:
        """Replace an agent's definition (the TUI's edit form), keeping totals and status."""
        values = agent_values(name, **definition)
        check_entered_model(values["model"])
        async with self.store.write() as tx:
            await self.get(name, tx.conn)
            await tx.conn.execute(update(Agent).where(Agent.name == name).values(**values))
            await tx.activity(actor, "edited agent", topic="agent", agent=name, target=name)
            return await self.get(name, tx.conn)

    # The twin only tells whether there is anything to write: if so, the store writes it.
    @stdlib_twin(leaves_to_store=("agents", "activities", "task_assignees", "tasks"))
    async def sync_config(self, tables: list[dict[str, Any]]) -> None:
        """Mirror `[[agents]]` from config.toml into the store so every view lists them.

        Config agents are upserted by name; ones dropped from the config are removed, but an
        agent added with `agent add` is never touched by this.
        """
        async with self.store.read() as conn:
            rows = (await conn.execute(select(Agent))).mappings().all()
        plan = plan_config_agents(tables, rows)
        if not plan:
            return
        wanted, existing = plan.wanted, plan.existing
        async with self.store.write() as tx:
            for name in plan.changes:
                if name in existing:
                    await tx.conn.execute(
                        update(Agent).where(Agent.name == name).values(**wanted[name])
                    )
                else:
                    await tx.conn.execute(
                        insert(Agent).values(**wanted[name], source="config", created_at=tx.now)
                    )
                await tx.activity("config", "loaded agent", topic="agent", agent=name, target=name)
            for name in plan.stale:
                await self._remove_in(tx, name, actor="config")

    async def set_paused(self, name: str, paused: bool, *, actor: str = HUMAN) -> AgentRecord:
        async with self.store.write() as tx:
            agent = await self.get(name, tx.conn)
            if paused and agent.status is AgentStatus.PAUSED:
                raise DomainError(f"agent {name} is already paused")
            if not paused and agent.status is not AgentStatus.PAUSED:
                raise DomainError(f"agent {name} is not paused")
            status = AgentStatus.PAUSED if paused else AgentStatus.IDLE
            await tx.conn.execute(
                update(Agent)
                .where(Agent.name == name)
                .values(status=status.value, status_reason="paused by human" if paused else None)
            )
            verb = "paused agent" if paused else "resumed agent"
            await tx.activity(actor, verb, topic="agent", agent=name, target=name)
            return await self.get(name, tx.conn)

    async def set_status_in(
        self, tx: Tx, name: str, status: AgentStatus, reason: str | None = None
    ) -> None:
        await tx.conn.execute(
            update(Agent)
            .where(Agent.name == name)
            .values(status=status.value, status_reason=reason)
        )
        tx.notify("agent", agent=name)

    async def remove(self, name: str, *, actor: str = HUMAN) -> list[str]:
        """Delete the agent; the unfinished tasks it held go back to the inbox."""
        async with self.store.write() as tx:
            await self.get(name, tx.conn)
            return await self._remove_in(tx, name, actor=actor)

    async def _remove_in(self, tx: Tx, name: str, *, actor: str) -> list[str]:
        held = await self.store.tasks.held_by(tx.conn, name)
        await tx.conn.execute(delete(TaskAssignee).where(TaskAssignee.agent_name == name))
        await tx.conn.execute(delete(Agent).where(Agent.name == name))
        for task_id in held:
            await tx.conn.execute(
                update(Task)
                .where(Task.id == task_id)
                .values(status=TaskStatus.INBOX.value, updated_at=tx.now)
            )
            await tx.activity(
                actor, "requeued", task_id, reason=f"agent {name} was removed", to="inbox"
            )
        await tx.activity(actor, "removed agent", topic="agent", agent=name, target=name)
        return held

    @stdlib_twin()
    async def totals(self, conn: AsyncConnection) -> dict[str, Any]:
        """Workspace totals come from runs, so removing an agent keeps its spend counted."""
        return totals_of((await conn.execute(TOTALS)).one())
