"""Can an agent take work, as far as can be told without litellm: is its model one litellm
routes, and are its provider's keys there? Every view (agent list and show, status, the
TUI) and the scheduler ask the same question of the same table (maos_tui.providers)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from maos_tui.domain import AgentKind, AgentRecord, AgentStatus
from maos_tui.providers import missing_keys, provider_of

if TYPE_CHECKING:
    from maos_tui.config import Config

HasKey = Callable[[str], bool]
# Every reason below starts with one of these, so a scheduler can tell its own verdicts
# (which it clears once fixed) from others, such as a stall.
REASON_PREFIXES = ("missing ", "model ")
# An agent whose MCP servers are down still works, with our own tools: its chip says so
# whatever its status (agents/mcp_client.py writes and clears these).
MCP_PREFIX = "MCP server "


def has_key_in(env: Mapping[str, str], config: Config | None = None) -> HasKey:
    """A key is there when set in `env`, or when a config `[api_keys]` command provides it
    (the scheduler runs those, and says so if one fails)."""
    table = config.data.get("api_keys") if config is not None else None
    commands = set(table) if isinstance(table, dict) else set()
    return lambda name: bool(env.get(name)) or name in commands


def problem(agent: AgentRecord, has_key: HasKey) -> str | None:
    """Why the agent cannot work, or None: an unroutable model, or missing keys."""
    if agent.kind is not AgentKind.LLM or agent.model is None:
        return None
    try:
        provider_of(agent.model)
    except ValueError as exc:
        return str(exc)
    missing = missing_keys(agent.model, agent.api_base, has_key)
    return f"missing {', '.join(missing)}" if missing else None


def missing_program(agent: AgentRecord) -> str | None:
    """The program a command agent runs when this machine's PATH lacks it (what
    `agent check` says); None for an LLM agent, a shell command or a program found."""
    if agent.kind is not AgentKind.COMMAND or agent.shell:
        return None
    program = (agent.command or ("",))[0]
    return None if shutil.which(program) else program


def as_shown(agent: AgentRecord, has_key: HasKey) -> AgentRecord:
    """The agent as views show it: offline with the reason when it cannot work, before any
    scheduler has looked. A person's pause stays shown as paused."""
    if agent.status is AgentStatus.PAUSED:
        return agent
    reason = problem(agent, has_key)
    if reason is None:
        return agent
    return replace(agent, status=AgentStatus.OFFLINE, status_reason=reason)


def shown(agents: Iterable[AgentRecord], config: Config | None) -> list[AgentRecord]:
    has_key = has_key_in(os.environ, config)
    return [as_shown(agent, has_key) for agent in agents]


def is_readiness_reason(reason: str | None) -> bool:
    return bool(reason and reason.startswith(REASON_PREFIXES))


def is_mcp_reason(reason: str | None) -> bool:
    return bool(reason and reason.startswith(MCP_PREFIX))


def chip_reason(agent: AgentRecord) -> str | None:
    """The reason a chip shows: why the agent is offline, or which MCP servers are down."""
    reason = agent.status_reason
    if agent.status is AgentStatus.OFFLINE or is_mcp_reason(reason):
        return reason
    return None
