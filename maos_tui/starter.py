"""The starter team: the bootstrap trio of agents offered on first run (TUI `S`) and by
`maos-tui init --starter-team`. One definition, so both places create the same agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from maos_tui.domain import AgentRecord

if TYPE_CHECKING:
    from maos_tui.store import Store


@dataclass(frozen=True)
class StarterAgent:
    name: str
    role: str
    capabilities: tuple[str, ...]


STARTER_TEAM: tuple[StarterAgent, ...] = (
    StarterAgent("orchestrator", "orchestrator: splits goals into tasks", ("plan", "delegate")),
    StarterAgent("technical", "technical: writes and changes code", ("code", "docs")),
    StarterAgent("qa", "QA: reviews and tests finished work", ("review", "test")),
)


async def add_starter_team(store: Store, model: str) -> list[AgentRecord]:
    """Add the trio with `model`; agents whose name is taken are left as they are."""
    existing = {a.name for a in await store.agents.list()}
    return [
        await store.agents.add(
            member.name, model=model, role=member.role, capabilities=member.capabilities
        )
        for member in STARTER_TEAM
        if member.name not in existing
    ]
