"""The scheduler's verdicts on agents: an unroutable model or a missing key makes the agent
offline with the reason and gives it no task; a person's pause outlasts both."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.support import make_scheduler, run_until_idle, until

from maos_tui.domain import AgentStatus, TaskStatus
from maos_tui.store import Store


async def test_an_unroutable_model_from_the_config_takes_no_task(
    store: Store, workspace: Path
) -> None:
    await store.agents.sync_config([{"name": "typo", "model": "notaprovider"}])
    task_id = (await store.tasks.create("plan it", assignees=["typo"])).id
    await run_until_idle(make_scheduler(store, workspace))
    agent = await store.agents.get("typo")
    assert agent.status is AgentStatus.OFFLINE
    assert agent.status_reason is not None
    assert "'notaprovider' names no provider litellm knows" in agent.status_reason
    assert await store.runs.for_task(task_id) == []
    assert (await store.tasks.get(task_id)).status is TaskStatus.ASSIGNED


async def test_an_agent_paused_while_offline_stays_paused(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await store.agents.add("thinker", model="openai/gpt-4o-mini")
    scheduler = make_scheduler(store, workspace)
    await scheduler.start()
    try:

        async def status_is(status: AgentStatus) -> bool:
            return (await store.agents.get("thinker")).status is status

        await until(lambda: status_is(AgentStatus.OFFLINE), timeout=30)
        await store.agents.set_paused("thinker", True)
        await scheduler.settle()
        await scheduler.settle()
        assert (await store.agents.get("thinker")).status is AgentStatus.PAUSED
        await store.agents.set_paused("thinker", False)
        await until(lambda: status_is(AgentStatus.OFFLINE), timeout=30)
    finally:
        await scheduler.stop()
    reason = (await store.agents.get("thinker")).status_reason
    assert reason == "missing OPENAI_API_KEY"


async def test_a_fixed_model_comes_back_online(store: Store, workspace: Path) -> None:
    await store.agents.sync_config([{"name": "typo", "model": "notaprovider"}])
    await run_until_idle(make_scheduler(store, workspace))
    assert (await store.agents.get("typo")).status is AgentStatus.OFFLINE
    await store.agents.sync_config([{"name": "typo", "model": "ollama/llama3.1"}])
    await run_until_idle(make_scheduler(store, workspace))
    agent = await store.agents.get("typo")
    assert (agent.status, agent.status_reason) == (AgentStatus.IDLE, None)
