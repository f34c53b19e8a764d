"""When spending stops work: an agent's own budget, and the workspace's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings
    from maos_tui.domain import AgentRecord


def agent_budget_reason(agent: AgentRecord) -> str | None:
    if agent.budget_usd is not None and agent.cost_usd >= agent.budget_usd:
        return f"budget reached: ${agent.cost_usd:.4f} of ${agent.budget_usd:.4f}"
    used = agent.tokens_in + agent.tokens_out
    if agent.budget_tokens is not None and used >= agent.budget_tokens:
        return f"budget reached: {used} of {agent.budget_tokens} tokens"
    return None


def workspace_budget_reason(settings: SchedulerSettings, totals: Mapping[str, Any]) -> str | None:
    cost = float(totals["cost_usd"])
    used = int(totals["tokens_in"]) + int(totals["tokens_out"])
    if settings.budget_usd is not None and cost >= settings.budget_usd:
        return f"workspace budget reached: ${cost:.4f} of ${settings.budget_usd:.4f}"
    if settings.budget_tokens is not None and used >= settings.budget_tokens:
        return f"workspace budget reached: {used} of {settings.budget_tokens} tokens"
    return None
