"""`agent check NAME`: is the agent usable, down to one tiny request to its model?"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from maos_tui.agents.llm import call_options, describe_error, load_litellm
from maos_tui.agents.mcp_config import ServerSpec, specs_of
from maos_tui.agents.readiness import has_key_in, missing_program, problem
from maos_tui.domain import AgentKind, AgentRecord

if TYPE_CHECKING:
    from maos_tui.config import Config

CHECK_TIMEOUT_SECONDS = 30.0


async def check_agent(
    agent: AgentRecord, config: Config | None = None, cwd: Path | None = None
) -> tuple[bool, str]:
    """(ok, one line for the user). LLM agents get one tiny request, and their MCP servers
    (from `config`) are started in `cwd`, listed and stopped."""
    ok, line = await _check_model(agent)
    servers = specs_of(config, agent.name) if config is not None else []
    if not servers:
        return ok, line
    servers_ok, servers_line = await _check_servers(servers, cwd or Path.cwd())
    return ok and servers_ok, f"{line}; {servers_line}"


async def _check_servers(specs: list[ServerSpec], cwd: Path) -> tuple[bool, str]:
    from maos_tui.agents.mcp_connection import Connection

    connections = [Connection(spec, cwd) for spec in specs]
    try:
        await asyncio.gather(*(c.start() for c in connections))
    finally:
        await asyncio.gather(*(c.stop() for c in connections))
    parts = [
        f"{c.spec.name} {c.problem}" if c.problem else f"{c.spec.name}: {len(c.tools)} tool(s)"
        for c in connections
    ]
    return not any(c.problem for c in connections), "MCP server " + ", ".join(parts)


async def _check_model(agent: AgentRecord) -> tuple[bool, str]:
    if agent.kind is AgentKind.COMMAND:
        program = (agent.command or ("",))[0]
        if missing_program(agent) is None:
            return True, f"{agent.name}: command {program} found"
        return False, f"{agent.name}: command {program!r} not found on PATH"
    reason = problem(agent, has_key_in(os.environ))
    if reason:
        suffix = " in the environment" if reason.startswith("missing ") else ""
        return False, f"{agent.name}: {reason}{suffix}"
    litellm = load_litellm()
    started = time.monotonic()
    try:
        await litellm.acompletion(
            messages=[{"role": "user", "content": "Reply with: ok"}],
            max_tokens=5,
            **call_options(agent.model or "", agent.api_base, CHECK_TIMEOUT_SECONDS),
        )
    except Exception as exc:
        return False, f"{agent.name}: {agent.model} is not usable: {describe_error(exc)}"
    elapsed = (time.monotonic() - started) * 1000
    return True, f"{agent.name}: {agent.model} answered in {elapsed:.0f} ms"
