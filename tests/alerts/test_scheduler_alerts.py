"""Alerts from what the real scheduler records: a task parked on a question, a task that
failed for good, budgets reached (an agent's, and the workspace's, a state the scheduler
tells)."""

from __future__ import annotations

from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler, until

from maos_tui.agents.base import Job, Outcome, RunHooks, RunResult
from maos_tui.alerts.webhook import WebhookChannel
from maos_tui.collab import NEEDS_HUMAN
from maos_tui.domain import AgentRecord, TaskStatus
from maos_tui.store import Store

from .conftest import Hook
from .support import watcher


class AskingRunner:
    """Asks the person in the task's thread and waits, as an LLM agent's ask tool does."""

    async def run(self, job: Job, hooks: RunHooks) -> RunResult:
        await job.store.messages.post(
            job.task.id, job.agent.name, "@human which port?", type="question"
        )
        return RunResult(Outcome.WAITING, "which port?")

    def factory(self, _agent: AgentRecord) -> AskingRunner:
        return self


def _alerts(hook: Hook) -> list[tuple[str, str | None]]:
    return [(a["kind"], a["task_id"]) for p in hook.ok_posts for a in p.json()["alerts"]]


async def test_a_question_then_the_task_parked_is_one_post(
    store: Store, workspace: Path, hook: Hook
) -> None:
    await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("Needs a port")
    scheduler = make_scheduler(store, workspace, runner_factory=AskingRunner().factory)
    alerts = watcher(store, [WebhookChannel(hook.url())])
    await scheduler.start()
    await alerts.start()
    try:

        async def parked() -> bool:
            return (await store.tasks.get(task.id)).status_reason == NEEDS_HUMAN

        await until(parked, message="the task parked for the answer")
        await until(lambda: len(hook.ok_posts) == 1, message="the question's POST")
        await alerts.step()
    finally:
        await alerts.stop()
        await scheduler.stop()
    assert _alerts(hook) == [("question", task.id)]
    assert len(hook.posts) == 1


async def test_a_task_failing_for_good_is_one_post_after_its_retries(
    store: Store, workspace: Path, hook: Hook
) -> None:
    await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("Flaky", max_retries=1)
    runner = InstantRunner(decide=lambda job: RunResult.failed("the build is broken"))
    config = "[scheduler]\nretry_base_seconds = 0\nretry_max_seconds = 0\n"
    scheduler = make_scheduler(store, workspace, config, runner_factory=runner.factory)
    alerts = watcher(store, [WebhookChannel(hook.url())])
    await scheduler.start()
    await alerts.start()
    try:

        async def failed() -> bool:
            return (await store.tasks.get(task.id)).status is TaskStatus.FAILED

        await until(failed, message="the task failed for good")
        await until(lambda: len(hook.ok_posts) == 1, message="the failure's POST")
        await alerts.step()
    finally:
        await alerts.stop()
        await scheduler.stop()
    assert [k for k, *_ in runner.log].count("start") == 2  # its retry was used
    assert _alerts(hook) == [("failed", task.id)]
    assert "the build is broken" in hook.ok_posts[0].json()["message"]


async def test_budgets_reached_are_alerted_once_across_a_restart(
    store: Store, workspace: Path, hook: Hook
) -> None:
    await store.agents.add("spender", command=["true"], budget_tokens=15)
    await store.tasks.create("costly")
    runner = InstantRunner(tokens=(10, 5))
    config = "[scheduler]\nbudget_tokens = 15\n"
    scheduler = make_scheduler(store, workspace, config, runner_factory=runner.factory)
    await scheduler.start()
    try:
        for _ in range(2):  # the second watcher finds both sent
            alerts = watcher(
                store, [WebhookChannel(hook.url())], budget_reason=lambda: scheduler.reason
            )
            await alerts.start()
            try:
                await until(lambda: len(_alerts(hook)) == 2, message="both budgets' alerts")
                await alerts.step()
            finally:
                await alerts.stop()
    finally:
        await scheduler.stop()
    texts = sorted(a["text"] for p in hook.posts for a in p.json()["alerts"])
    assert texts == [
        "agent spender paused: budget reached: 15 of 15 tokens",
        "workspace budget reached: 15 of 15 tokens; no new run starts",
    ]
