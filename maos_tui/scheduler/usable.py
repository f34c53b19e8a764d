"""Which agents the scheduler may give work: not paused, within budget, with a model
litellm routes and its provider's keys. The verdicts are written on the agents (offline or
paused, with the reason) so that every view shows them, and cleared once fixed.

On a shared database, missing keys are this machine's own: another worker may have them.
They are not written on the agent (two workers would take turns setting it offline and
idle); the worker leaves the agent's tasks to the others instead (scheduler/seat.py).

Key commands (`[api_keys]`) run in the background from the scheduler's start: a command
agent never waits for them, and stopping the scheduler kills them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from maos_tui.agents.readiness import has_key_in, is_readiness_reason, problem
from maos_tui.domain import AgentKind, AgentRecord, AgentStatus
from maos_tui.providers import missing_keys
from maos_tui.scheduler.budgets import agent_budget_reason

if TYPE_CHECKING:
    from maos_tui.config import Config
    from maos_tui.store import Store

log = logging.getLogger(__name__)


class AgentGate:
    def __init__(self, store: Store, config: Config, wake: Callable[[], None]) -> None:
        self.store = store
        self.config = config
        self._wake = wake
        self._keys: asyncio.Task[None] | None = None
        self._pending: set[str] = set()  # variables whose key command is still running
        self._failed: dict[str, str] = {}
        self.waiting = False  # an agent waits for a key command: the scheduler is not idle
        self._started = False
        self.keys_loaded = False  # the key commands have ended: what is missing is known

    def start(self) -> None:
        from maos_tui.agents.keys import key_commands

        self._pending = set(key_commands(self.config))
        self._started = True
        if self._pending:
            self._keys = asyncio.create_task(self._load(), name="maos-key-commands")

    async def stop(self) -> None:
        if self._keys is not None:
            self._keys.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keys

    async def _load(self) -> None:
        from maos_tui.agents.keys import load_key_commands

        try:
            self._failed = await load_key_commands(self.config)
        finally:
            self._pending = set()
            self.keys_loaded = True
        for name, failure in self._failed.items():
            log.warning("%s: %s", name, failure)
        self._wake()

    async def usable(self, agents: list[AgentRecord]) -> list[AgentRecord]:
        """The agents whose status stands; an agent whose status changes now sits out
        this pass (its event wakes the next one)."""
        has_key = has_key_in(os.environ)
        kept = []
        self.waiting = False
        for agent in agents:
            if agent.status is AgentStatus.PAUSED:  # by a person or a budget: it stays
                kept.append(agent)
                continue
            budget = agent_budget_reason(agent)
            if budget:
                await self.store.agent_status.change(agent.name, AgentStatus.PAUSED, budget)
                continue
            if self._waits_for_key(agent, has_key):
                # Not written on the agent: the command ends within its timeout.
                self.waiting = True
                waiting = "waiting for its key command"
                kept.append(replace(agent, status=AgentStatus.OFFLINE, status_reason=waiting))
                continue
            reason = self._reason(agent, has_key)
            if reason and self.store.shared and self.lacking(agent, has_key):
                reason = None  # this worker's own: its seat keeps the agent's tasks away
            offline = agent.status is AgentStatus.OFFLINE
            ours = offline and is_readiness_reason(agent.status_reason)
            if reason and reason != agent.status_reason and (ours or not offline):
                await self.store.agent_status.change(agent.name, AgentStatus.OFFLINE, reason)
                continue
            if not reason and ours:
                await self.store.agent_status.change(agent.name, AgentStatus.IDLE, None)
                continue
            kept.append(agent)
        return kept

    def lacking(self, agent: AgentRecord, has_key: Callable[[str], bool] | None = None) -> str:
        """The keys an LLM agent lacks on this machine ("" if none, or while their key
        commands still run or are yet to start), when its model is one litellm routes."""
        if agent.kind is not AgentKind.LLM or agent.model is None or problem(agent, lambda _: True):
            return ""
        has = has_key or has_key_in(os.environ, None if self._started else self.config)
        missing = missing_keys(agent.model, agent.api_base, has)
        return ", ".join(name for name in missing if name not in self._pending)

    def _waits_for_key(self, agent: AgentRecord, has_key: Callable[[str], bool]) -> bool:
        if not self._pending or agent.kind is not AgentKind.LLM or agent.model is None:
            return False
        return bool(set(missing_keys(agent.model, agent.api_base, has_key)) & self._pending)

    def _reason(self, agent: AgentRecord, has_key: Callable[[str], bool]) -> str | None:
        reason = problem(agent, has_key)
        if reason and agent.model is not None:
            for name in missing_keys(agent.model, agent.api_base, has_key):
                if name in self._failed:
                    return f"{reason}: {self._failed[name]}"
        return reason
