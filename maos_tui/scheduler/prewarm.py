"""Start importing litellm as soon as an LLM agent has work ahead of it.

The import takes seconds of CPU. Begun when a pass places a task on an LLM agent, or
leaves tasks waiting for a free slot while an LLM agent is usable (the next free slot may
be its), it runs on its own thread (agents/llm.py) while the loop goes on starting other
runs; the LLM run awaits it. A board with nothing for an LLM agent to do never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable

from maos_tui.domain import AgentKind, AgentRecord
from maos_tui.scheduler.planner import Plan


def llm_work_ahead(result: Plan, usable: Iterable[AgentRecord]) -> bool:
    if any(p.agent.kind is AgentKind.LLM for p in result.placements):
        return True
    return bool(result.waiting) and any(a.kind is AgentKind.LLM for a in usable)


def prewarm(result: Plan, usable: Iterable[AgentRecord]) -> None:
    if llm_work_ahead(result, usable):
        from maos_tui.agents.llm import start_loading

        start_loading()
