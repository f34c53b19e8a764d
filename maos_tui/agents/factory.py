"""The runner for each agent kind."""

from __future__ import annotations

from maos_tui.agents.base import Runner
from maos_tui.domain import AgentKind, AgentRecord


def runner_for(agent: AgentRecord) -> Runner:
    if agent.kind is AgentKind.COMMAND:
        from maos_tui.agents.command import CommandRunner

        return CommandRunner()
    from maos_tui.agents.llm import LlmRunner

    return LlmRunner()
