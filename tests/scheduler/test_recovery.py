"""Recovery after a scheduler died: what it left active is put back, each with its Activity."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler
from sqlalchemy import select

from maos_tui.domain import AgentStatus, TaskStatus
from maos_tui.events import Event
from maos_tui.scheduler.recovery import recover
from maos_tui.store import Store
from maos_tui.store.models import Activity


async def test_recovery_resets_each_agent_left_active_with_an_activity(
    store: Store, workspace: Path
) -> None:
    for name in ("busy", "other", "calm"):
        await store.agents.add(name, command=["true"])
    task = await store.tasks.create("orphan", assignees=["busy"])
    async with store.write() as tx:
        await store.tasks.move_in(tx, task.id, TaskStatus.IN_PROGRESS, actor="scheduler")
        await store.runs.start_in(tx, task.id, "busy")
        # What a scheduler killed mid-run leaves: its agents still marked active.
        await store.agents.set_status_in(tx, "busy", AgentStatus.ACTIVE)
        await store.agents.set_status_in(tx, "other", AgentStatus.ACTIVE)
    published: list[Event] = []
    store.bus.subscribe(published.append)

    await recover(make_scheduler(store, workspace, runner_factory=InstantRunner().factory))

    statuses = {a.name: a.status for a in await store.agents.list()}
    assert statuses == {name: AgentStatus.IDLE for name in ("busy", "other", "calm")}
    async with store.read() as conn:
        rows = await conn.execute(
            select(Activity.actor, Activity.details).where(Activity.verb == "reset agent")
        )
        resets = {
            json.loads(details)["target"]: (actor, json.loads(details))
            for actor, details in rows.all()
        }
    assert sorted(resets) == ["busy", "other"], "one Activity per agent reset, none for idle ones"
    for actor, details in resets.values():
        assert actor == "scheduler"
        assert details["reason"] == "the scheduler stopped unexpectedly"
    # Published after the commit, with the Activities' IDs, on the agents' topic.
    reset_events = [e for e in published if e.activity and e.activity.verb == "reset agent"]
    assert sorted(e.agent or "" for e in reset_events) == ["busy", "other"]
    assert all(e.topic == "agent" and e.activity and e.activity.id > 0 for e in reset_events)
    requeued = await store.tasks.get(task.id)
    assert requeued.status is TaskStatus.INBOX and requeued.retry_count == 1
