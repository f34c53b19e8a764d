"""The MCP servers of LLM agents (`mcp_servers` in config.toml), seen from the scheduler.

An agent's servers start on its first run, are shared by its later and concurrent runs,
and stop with the scheduler (`McpServers.close`), so no server process outlives it. A
server that fails to start, or dies, is written on the agent (its chip and `agent list`
show it) and left out of the run, which goes on with our own tools; a later run tries it
again. Nothing here imports the `mcp` SDK (mcp_connection.py does, when one starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from maos_tui.agents.mcp_config import ServerSpec, specs_of
from maos_tui.agents.mcp_connection import REASON_CHARS, Connection
from maos_tui.agents.mcp_tools import MAX_TOOLS, McpTools
from maos_tui.agents.readiness import MCP_PREFIX, is_mcp_reason

if TYPE_CHECKING:
    from pathlib import Path

    from maos_tui.agents.base import Job, RunHooks
    from maos_tui.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_SECONDS = 60.0  # a server down is tried again by a run at most this often
ACTOR = "scheduler"


class AgentServers:
    """One agent's servers: started together, reported together on the agent."""

    def __init__(self, agent: str, specs: list[ServerSpec], cwd: Path, store: Store) -> None:
        self.agent = agent
        self.store = store
        self.connections = [Connection(spec, cwd) for spec in specs]
        self._starting: asyncio.Task[None] | None = None
        self._reported: tuple[str | None] | None = None  # what is written on the agent

    def starting(self) -> asyncio.Task[None]:
        """The start of the servers that are down (one task, whichever runs wait for it)."""
        if self._starting is None or self._starting.done():
            self._starting = asyncio.create_task(self._start(), name=f"maos-mcp-{self.agent}")
        return self._starting

    async def _start(self) -> None:
        await asyncio.gather(*(c.refresh() for c in self.connections if c.up))
        now = asyncio.get_running_loop().time()
        due = [c for c in self.connections if not c.up and now - c.tried_at >= RETRY_SECONDS]
        await asyncio.gather(*(c.start() for c in due))
        problems = [f"{c.spec.name} {c.problem}" for c in self.connections if c.problem]
        reason = (MCP_PREFIX + "; ".join(problems))[:REASON_CHARS] if problems else None
        if self._reported == (reason,):
            return
        try:
            if await self._report(reason):
                self._reported = (reason,)
        except Exception as exc:  # the run goes on; the next start writes it again
            log.warning("could not record the MCP servers of %s: %s", self.agent, exc)

    async def _report(self, reason: str | None) -> bool:
        """Write which servers are down on the agent, or clear what was written; False
        when another verdict (offline, paused) stands, which ours never replaces."""
        store = self.store
        async with store.write() as tx:
            agent = await store.agents.get(self.agent, tx.conn)
            current = agent.status_reason
            if reason == current or (current and not is_mcp_reason(current)):
                return reason == current
            await store.agents.set_status_in(tx, self.agent, agent.status, reason)
            verb = "MCP server down" if reason else "MCP servers up"
            await tx.activity(
                ACTOR, verb, topic="agent", agent=self.agent, target=self.agent, reason=reason
            )
        return True

    async def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        await asyncio.gather(*(c.stop() for c in self.connections))


class McpServers:
    """Every agent's servers, for one scheduler."""

    def __init__(self) -> None:
        self._agents: dict[str, AgentServers] = {}

    async def tools_for(self, job: Job, hooks: RunHooks) -> McpTools | None:
        """The agent's servers' tools for a run, starting those that are down."""
        servers = self._agents.get(job.agent.name)
        if servers is None:
            specs = specs_of(job.config, job.agent.name)
            if not specs:
                return None
            servers = AgentServers(job.agent.name, specs, job.workspace, job.store)
            self._agents[job.agent.name] = servers
        # Shielded: the start is shared, and a run cancelled meanwhile must not cancel it.
        try:
            await with_progress(asyncio.shield(servers.starting()), hooks)
        except Exception as exc:  # a bug here must not cost the agent its own tools
            log.exception("starting the MCP servers of %s failed", job.agent.name)
            await hooks.output(f"[mcp] no MCP tools in this run: {type(exc).__name__}\n")
            return None
        for connection in servers.connections:
            if not connection.up:
                name = connection.spec.name
                await hooks.output(f"[mcp] {name} is left out: {connection.problem}\n")

        async def wait(call: Awaitable[str]) -> str:
            return await with_progress(call, hooks)

        tools = McpTools([c for c in servers.connections if c.up], wait)
        if tools.left_out:
            await hooks.output(f"[mcp] {tools.left_out} tool(s) left out: at most {MAX_TOOLS}\n")
        return tools

    async def close(self) -> None:
        """Stop every server (no process outlives the scheduler; the scheduler's runs have
        ended by then, and one started again starts them again)."""
        await asyncio.gather(*(s.close() for s in self._agents.values()))
        self._agents.clear()


async def with_progress(awaitable: Awaitable[T], hooks: RunHooks) -> T:
    """Await, counting the wait as the run's progress: a long tool call is no stall."""
    waiting = asyncio.ensure_future(awaitable)
    try:
        while not waiting.done():
            hooks.progress()
            await asyncio.wait([waiting], timeout=0.5)
    finally:
        waiting.cancel()
    return waiting.result()
