"""The alerts' record on PostgreSQL: one POST per event, none again after a restart."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from fakes.support import until
from pg_server import pg_url  # noqa: F401  (the fixture)

from maos_tui.alerts.webhook import WebhookChannel
from maos_tui.domain import AgentStatus
from maos_tui.store import Store

from .conftest import Hook
from .support import watcher


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:  # noqa: F811
    store = await Store.open(pg_url)
    yield store
    await store.close()


async def test_alerts_are_sent_once_on_postgresql(pg_store: Store, hook: Hook) -> None:
    # Agents only: the session's database is shared with other tests (their agents
    # would stop "every agent offline"), so each of these pauses for its budget.
    store = pg_store
    names = [f"pg-{secrets.token_hex(4)}" for _ in range(2)]
    for name in names:
        await store.agents.add(name, command=["true"])
    first = watcher(store, [WebhookChannel(hook.url())])
    await first.start()
    try:
        for count, name in enumerate(names, 1):
            await store.agent_status.change(
                name, AgentStatus.PAUSED, "budget reached: 9 of 5 tokens"
            )
            await until(lambda n=count: len(hook.ok_posts) == n, message=f"POST {count}")
    finally:
        await first.stop()
    again = watcher(store, [WebhookChannel(hook.url())])
    await again.start()
    try:
        await again.step()
    finally:
        await again.stop()
    texts = [a["text"] for p in hook.posts for a in p.json()["alerts"]]
    assert texts == [f"agent {n} paused: budget reached: 9 of 5 tokens" for n in names]
