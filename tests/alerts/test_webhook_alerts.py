"""A webhook on 127.0.0.1 gets exactly one POST per event that needs the person, none for
what the person did, and none again after the alerts restart."""

from __future__ import annotations

from fakes.support import until

from maos_tui.alerts.webhook import WebhookChannel
from maos_tui.domain import HUMAN, AgentStatus, TaskStatus
from maos_tui.store import Store

from .conftest import Hook
from .support import watcher


async def _kinds(hook: Hook, count: int) -> list[list[str]]:
    await until(lambda: len(hook.ok_posts) >= count, message=f"{count} POST(s) expected")
    return [[a["kind"] for a in p.json()["alerts"]] for p in hook.ok_posts]


async def test_each_event_is_posted_once_and_not_again_after_a_restart(
    store: Store, hook: Hook
) -> None:
    await store.agents.add("coder", command=["true"], capabilities=["code"])
    await store.agents.add("helper", command=["true"])
    asked, failing, done, mine = [(await store.tasks.create(t)).id for t in "ABCD"]
    alerts = watcher(store, [WebhookChannel(hook.url())])
    await alerts.start()
    try:
        await store.messages.post(
            asked, "coder", "@human which database should I use?", type="question"
        )
        assert await _kinds(hook, 1) == [["question"]]
        await store.tasks.move(failing, TaskStatus.IN_PROGRESS)
        await store.tasks.move(failing, TaskStatus.FAILED, actor="coder", reason="tests fail")
        assert (await _kinds(hook, 2))[1] == ["failed"]
        await store.tasks.move(done, TaskStatus.IN_PROGRESS)
        await store.tasks.move(done, TaskStatus.REVIEW, actor="coder")
        assert (await _kinds(hook, 3))[2] == ["review"]
        await store.agent_status.change(
            "coder", AgentStatus.PAUSED, "budget reached: 12 of 10 tokens"
        )
        assert (await _kinds(hook, 4))[3] == ["budget"]
        # One of two agents offline is no alert; the last one is.
        await store.agents.set_paused("coder", False)
        await store.agent_status.change("coder", AgentStatus.OFFLINE, "stalled")
        await store.agent_status.change("helper", AgentStatus.OFFLINE, "x")
        assert (await _kinds(hook, 5))[4] == ["offline"]
        # What the person does is no alert.
        await store.tasks.move(mine, TaskStatus.FAILED, actor=HUMAN)
        await alerts.step()
    finally:
        await alerts.stop()
    again = watcher(store, [WebhookChannel(hook.url())])
    await again.start()
    try:
        await again.step()
        await again.step()
    finally:
        await again.stop()
    assert len(hook.posts) == 5, [p.json() for p in hook.posts]
    first = hook.posts[0].json()
    assert first["title"] == "maos-tui (ws): TASK-001 a question for you"
    assert "which database should I use?" in first["message"]
    assert hook.posts[0].headers["Content-Type"] == "application/json"


async def test_a_task_an_agent_can_review_is_no_alert(store: Store, hook: Hook) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("checker", command=["true"], capabilities=["review"])
    task = await store.tasks.create("Reviewed by an agent")
    alerts = watcher(store, [WebhookChannel(hook.url())])
    await alerts.start()
    try:
        await store.tasks.move(task.id, TaskStatus.IN_PROGRESS)
        await store.tasks.move(task.id, TaskStatus.REVIEW, actor="coder")
        await store.messages.post(task.id, "coder", "@human one question", type="question")
        await until(lambda: len(hook.ok_posts) == 1, message="the question's POST")
        await alerts.step()
    finally:
        await alerts.stop()
    assert [[a["kind"] for a in p.json()["alerts"]] for p in hook.posts] == [["question"]]


async def test_alerts_start_after_what_happened_before_their_first_start(
    store: Store, hook: Hook
) -> None:
    """A workspace's old history is not alerted about; what happens while no scheduler
    runs, after that, is (by the next one)."""
    await store.agents.add("coder", command=["true"])
    old = await store.tasks.create("Old question")
    await store.messages.post(old.id, "coder", "@human an old question", type="question")
    first = watcher(store, [WebhookChannel(hook.url())])
    await first.start()
    await first.step()
    await first.stop()
    assert hook.posts == []
    await store.messages.post(old.id, "coder", "@human asked while nobody ran", type="question")
    second = watcher(store, [WebhookChannel(hook.url())])
    await second.start()
    try:
        await until(lambda: len(hook.ok_posts) == 1, message="the question asked meanwhile")
    finally:
        await second.stop()
    assert "asked while nobody ran" in hook.posts[0].json()["message"]


async def test_agents_going_offline_together_are_one_alert(store: Store, hook: Hook) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("helper", command=["true"])
    first = watcher(store, [WebhookChannel(hook.url())])
    await first.start()
    await first.stop()
    # Both read in one pass by the next watcher: both find every agent offline.
    for name in ("coder", "helper"):
        await store.agent_status.change(name, AgentStatus.OFFLINE, "gone")
    second = watcher(store, [WebhookChannel(hook.url())])
    await second.start()
    try:
        await until(lambda: len(hook.ok_posts) == 1, message="the offline alert's POST")
        await second.step()
    finally:
        await second.stop()
    assert [[a["text"] for a in p.json()["alerts"]] for p in hook.posts] == [
        ["every agent is offline; no task can run (last: helper: gone)"]
    ]
