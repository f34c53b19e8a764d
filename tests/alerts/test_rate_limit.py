"""At most one message per task per 5 minutes, and a burst becomes one digest: the
alerts' clock is the test's, so nothing waits five minutes."""

from __future__ import annotations

from fakes.support import until

from maos_tui.alerts.digest import Digest, RatePolicy
from maos_tui.alerts.model import Alert, Kind
from maos_tui.alerts.webhook import WebhookChannel
from maos_tui.domain import TaskStatus
from maos_tui.store import Store

from .conftest import Hook
from .support import Ticks, watcher

POLICY = RatePolicy(per_task=300, gather=2, gap=30)


async def _fail(store: Store, task_id: str) -> None:
    await store.tasks.move(task_id, TaskStatus.IN_PROGRESS)
    await store.tasks.move(task_id, TaskStatus.FAILED, actor="coder", reason="broken")


async def test_one_message_per_task_per_five_minutes_and_a_burst_is_one_digest(
    store: Store, hook: Hook
) -> None:
    await store.agents.add("coder", command=["true"])
    ids = [(await store.tasks.create(f"Task {n}")).id for n in range(4)]
    ticks = Ticks()
    alerts = watcher(store, [WebhookChannel(hook.url())], policy=POLICY, clock=ticks)
    await alerts.start()
    try:
        # A question, then the same task failing a minute later: held for its 5 minutes.
        await store.messages.post(ids[0], "coder", "@human may I drop the table?", type="question")
        await alerts.step()
        assert [a.kind for a in alerts.digest.pending] == ["question"]
        ticks.now += 2  # gathered long enough
        await alerts.step()
        await until(lambda: len(hook.ok_posts) == 1, message="the question's POST")
        ticks.now += 60
        await _fail(store, ids[0])
        # A burst on three other tasks, at once.
        for task_id in ids[1:]:
            await _fail(store, task_id)
        await alerts.step()
        ticks.now += 30  # the gap after the last message
        await alerts.step()
        await until(lambda: len(hook.ok_posts) == 2, message="the digest's POST")
        digest = hook.ok_posts[1].json()
        assert digest["digest"] is True
        assert sorted(a["task_id"] for a in digest["alerts"]) == ids[1:]
        assert digest["title"] == "maos-tui (ws): 3 things need you"
        # The first task's failure still waits: its 5 minutes are not over.
        ticks.now += 200
        await alerts.step()
        assert [a.task_id for a in alerts.digest.pending] == [ids[0]]
        assert len(hook.posts) == 2
        ticks.now += 10  # 302 s after the question's message
        await alerts.step()
        await until(lambda: len(hook.ok_posts) == 3, message="the held failure's POST")
    finally:
        await alerts.stop()
    third = hook.ok_posts[2].json()
    assert [(a["kind"], a["task_id"]) for a in third["alerts"]] == [("failed", ids[0])]
    assert len(hook.posts) == 3


def test_a_parked_task_after_its_question_is_not_told_twice() -> None:
    """An agent asks, then its run parks the task for the answer: one need, one message,
    and none when the task's 5 minutes are over."""
    ticks = Ticks()
    digest = Digest(POLICY, ticks)
    question = Alert("activity:1", Kind.QUESTION, "which port?", "TASK-001", 1)
    digest.offer([question])
    ticks.now += 2
    assert digest.take() == [question]
    parked = Alert("activity:2", Kind.PARKED, "waits for you", "TASK-001", 2)
    assert digest.offer([parked]) == [parked]
    ticks.now += 400
    assert digest.take() == [] and digest.next_due() is None
    # A new need of the task (it failed) is told, once its 5 minutes are over.
    failed = Alert("activity:3", Kind.FAILED, "failed", "TASK-001", 3)
    digest.offer([failed])
    ticks.now += 2
    assert digest.take() == [failed]
