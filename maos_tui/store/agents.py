"""Agent reads and mutations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import (
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_MAX_CONCURRENT,
    HUMAN,
    AgentKind,
    AgentRecord,
    AgentStatus,
    DomainError,
    TaskStatus,
    validate_agent_name,
    validate_capability,
    validate_positive,
)
from maos_tui.store.core import Prepared
from maos_tui.store.models import Agent, Run, Task, TaskAssignee
from maos_tui.store.records import agent_record, totals_of

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx

LIST = Prepared(select(Agent.__table__).order_by(Agent.__table__.c.name))  # type: ignore[attr-defined]
LIST_KEYS = tuple(c.key for c in LIST.statement.selected_columns)
TOTALS = select(
    func.coalesce(func.sum(Run.tokens_in), 0),
    func.coalesce(func.sum(Run.tokens_out), 0),
    func.coalesce(func.sum(Run.cost_usd), 0.0),
)


def agent_values(
    name: str,
    *,
    model: str | None = None,
    command: Sequence[str] | None = None,
    role: str = "",
    capabilities: Iterable[str] = (),
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    system_prompt: str = "",
    api_base: str | None = None,
    shell: bool = False,
    budget_usd: float | None = None,
    budget_tokens: int | None = None,
) -> dict[str, Any]:
    """Validate an agent definition (CLI, TUI form or config table) into column values."""
    validate_agent_name(name)
    if (model is None) == (command is None):
        raise DomainError("give exactly one of --model or --command")
    if model is not None and not model.strip():
        raise DomainError("model is empty")
    if command is not None and (not command or not all(isinstance(c, str) for c in command)):
        raise DomainError("command must be a non-empty list of arguments")
    validate_positive("heartbeat seconds", heartbeat_seconds)
    validate_positive("max concurrent", max_concurrent)
    if budget_usd is not None and budget_usd < 0:
        raise DomainError("budget_usd must not be negative")
    if budget_tokens is not None and budget_tokens < 0:
        raise DomainError("budget_tokens must not be negative")
    caps = list(dict.fromkeys(validate_capability(c) for c in capabilities))
    return {
        "name": name,
        "role": role,
        "kind": (AgentKind.LLM if model is not None else AgentKind.COMMAND).value,
        "model": model.strip() if model is not None else None,
        "command": json.dumps(list(command)) if command is not None else None,
        "shell": shell,
        "api_base": api_base,
        "capabilities": json.dumps(caps),
        "heartbeat_seconds": heartbeat_seconds,
        "max_concurrent": max_concurrent,
        "system_prompt": system_prompt,
        "budget_usd": budget_usd,
        "budget_tokens": budget_tokens,
    }


_CONFIG_KEYS = {
    "name",
    "role",
    "kind",
    "model",
    "command",
    "capabilities",
    "heartbeat_seconds",
    "max_concurrent",
    "system_prompt",
    "api_base",
    "budget_usd",
    "budget_tokens",
    "shell",
}


def config_agent_values(table: dict[str, Any]) -> dict[str, Any]:
    """One `[[agents]]` table from config.toml; raises DomainError naming the bad key."""
    unknown = sorted(set(table) - _CONFIG_KEYS)
    if unknown:
        raise DomainError(f"unknown key {unknown[0]}")
    if "name" not in table:
        raise DomainError("missing key name")
    kind = table.get("kind")
    if kind is not None and kind not in {k.value for k in AgentKind}:
        raise DomainError(f"key kind: must be llm or command, not {kind!r}")
    command = table.get("command")
    if isinstance(command, str):
        raise DomainError('key command: must be an array of arguments, e.g. ["aider", "--yes"]')
    return agent_values(
        str(table["name"]),
        model=table.get("model"),
        command=command,
        role=str(table.get("role", "")),
        capabilities=table.get("capabilities", []),
        heartbeat_seconds=int(table.get("heartbeat_seconds", DEFAULT_HEARTBEAT_SECONDS)),
        max_concurrent=int(table.get("max_concurrent", DEFAULT_MAX_CONCURRENT)),
        system_prompt=str(table.get("system_prompt", "")),
        api_base=table.get("api_base"),
        shell=bool(table.get("shell", False)),
        budget_usd=table.get("budget_usd"),
        budget_tokens=table.get("budget_tokens"),
    )


class AgentService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, name: str, conn: AsyncConnection | None = None) -> AgentRecord:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(name, fresh)
        row = (await conn.execute(select(Agent).where(Agent.name == name))).mappings().first()
        if row is None:
            raise DomainError(f"unknown agent {name}")
        return agent_record(row)

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
        async with self.store.write() as tx:
            await self.get(name, tx.conn)
            await tx.conn.execute(update(Agent).where(Agent.name == name).values(**values))
            await tx.activity(actor, "edited agent", topic="agent", agent=name, target=name)
            return await self.get(name, tx.conn)

    async def sync_config(self, tables: list[dict[str, Any]]) -> None:
        """Mirror `[[agents]]` from config.toml into the store so every view lists them.

        Config agents are upserted by name; ones dropped from the config are removed, but an
        agent added with `agent add` is never touched by this.
        """
        wanted = {}
        for index, table in enumerate(tables):
            try:
                values = config_agent_values(table)
            except DomainError as exc:
                raise DomainError(f"[[agents]] #{index + 1}: {exc}") from None
            wanted[values["name"]] = values
        async with self.store.read() as conn:
            rows = (await conn.execute(select(Agent))).mappings().all()
        existing = {r["name"]: r for r in rows}
        changes = [
            n
            for n, v in wanted.items()
            if n not in existing or any(existing[n][k] != v[k] for k in v)
        ]
        stale = [n for n, r in existing.items() if r["source"] == "config" and n not in wanted]
        clash = [n for n in wanted if n in existing and existing[n]["source"] != "config"]
        if clash:
            raise DomainError(
                f"agent {clash[0]} is defined in config.toml and was also added with "
                "`agent add`; remove one of them"
            )
        if not changes and not stale:
            return
        async with self.store.write() as tx:
            for name in changes:
                if name in existing:
                    await tx.conn.execute(
                        update(Agent).where(Agent.name == name).values(**wanted[name])
                    )
                else:
                    await tx.conn.execute(
                        insert(Agent).values(**wanted[name], source="config", created_at=tx.now)
                    )
                await tx.activity("config", "loaded agent", topic="agent", agent=name, target=name)
            for name in stale:
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

    async def totals(self, conn: AsyncConnection) -> dict[str, Any]:
        """Workspace totals come from runs, so removing an agent keeps its spend counted."""
        return totals_of((await conn.execute(TOTALS)).one())
