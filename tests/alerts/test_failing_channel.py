"""A failing webhook is retried with backoff and shown by `doctor`, while the scheduler
runs on; its secret URL shows nowhere (logs, Activities, doctor)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fakes.instant import InstantRunner
from fakes.support import make_scheduler, until

from maos_tui.agents.base import Job, RunResult
from maos_tui.alerts.configured import channels_of
from maos_tui.alerts.delivery import RetryPolicy
from maos_tui.alerts.webhook import WebhookChannel
from maos_tui.domain import TaskStatus
from maos_tui.store import Store

from .conftest import Hook
from .support import watcher

SECRETS = ("pw-s3cret", "tok-s3cret", "q-s3cret")


def _doomed(job: Job) -> RunResult | None:
    return RunResult.failed("the build is broken") if job.task.title == "Doomed" else None


async def test_a_failing_webhook_is_retried_and_shown_in_doctor_while_runs_go_on(
    workspace: Path, store: Store, hook: Hook, cli, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = f"http://alice:pw-s3cret@127.0.0.1:{hook.port}/hook/tok-s3cret?token=q-s3cret"
    config = f'[alerts]\nterminal = false\nwebhook = "{url}"\n'
    await store.agents.add("coder", command=["true"])
    runner = InstantRunner(decide=_doomed)
    scheduler = make_scheduler(store, workspace, config, runner_factory=runner.factory)
    alerts = watcher(store, channels_of(scheduler.config.alerts(), None))
    hook.status = 500
    await scheduler.start()
    await alerts.start()
    alert_log = store.alerts
    shown = f"webhook http://127.0.0.1:{hook.port}/***"
    try:
        await store.tasks.create("Doomed", max_retries=0)

        async def failing() -> bool:
            state = (await alert_log.channel_states()).get(shown)
            return state is not None and state.failing

        await until(failing, message="the webhook's failure recorded")
        later = [(await store.tasks.create(f"Later {n}")).id for n in range(3)]

        async def all_done() -> bool:
            return all([(await store.tasks.get(t)).status is TaskStatus.DONE for t in later])

        await until(all_done, message="runs going on while the webhook fails")
        await until(lambda: len(hook.posts) >= 3, message="retries")
        assert hook.ok_posts == []
        sick = cli("doctor", "--offline")
        assert f"warning  alerts     {shown}: failing" in sick.stdout, sick.stdout
        assert "HTTP 500" in sick.stdout
        hook.status = 200
        await until(lambda: len(hook.ok_posts) == 1, message="the POST once the hook works")

        async def recovered() -> bool:
            state = (await alert_log.channel_states()).get(shown)
            return state is not None and not state.failing

        await until(recovered, message="the webhook recorded working again")
        well = cli("doctor", "--offline")
        assert f"ok       alerts     {shown}: works again" in well.stdout, well.stdout
    finally:
        await alerts.stop()
        await scheduler.stop()
    post = hook.ok_posts[0]
    assert post.path == "/hook/tok-s3cret?token=q-s3cret"
    assert post.headers["Authorization"] == "Basic YWxpY2U6cHctczNjcmV0"  # alice:pw-s3cret
    assert [a["kind"] for a in post.json()["alerts"]] == ["failed"]
    with sqlite3.connect(workspace / ".maos" / "state.db") as db:
        recorded = " ".join(
            f"{v} {d}" for v, d in db.execute("SELECT verb, details FROM activities")
        )
    assert "alert channel failed" in recorded
    for secret in SECRETS:
        for where, text in (
            ("logs", caplog.text),
            ("activities", recorded),
            ("doctor", sick.stdout + sick.stderr + well.stdout + well.stderr),
        ):
            assert secret not in text, f"{secret} in {where}"
    assert shown in caplog.text


async def test_a_webhook_that_never_answers_holds_up_no_run(
    workspace: Path, store: Store, hook: Hook
) -> None:
    hook.delay = 3
    await store.agents.add("coder", command=["true"])
    runner = InstantRunner(decide=_doomed)
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    retry = RetryPolicy(attempts=2, first_wait=0.1, max_wait=0.1, timeout=0.5)
    alerts = watcher(store, [WebhookChannel(hook.url(), timeout=1)], retry=retry)
    await scheduler.start()
    await alerts.start()
    alert_log = store.alerts
    try:
        await store.tasks.create("Doomed", max_retries=0)
        later = [(await store.tasks.create(f"Later {n}")).id for n in range(3)]

        async def all_done() -> bool:
            return all([(await store.tasks.get(t)).status is TaskStatus.DONE for t in later])

        await until(all_done, message="runs going on while the webhook hangs")

        async def gave_up() -> str:
            state = (await alert_log.channel_states()).get(
                f"webhook http://127.0.0.1:{hook.port}/***"
            )
            return state.message if state is not None and "gave up" in state.message else ""

        await until(gave_up, message="the hanging webhook given up on")
        assert await gave_up() == "no answer within 0.5s; gave up on an alert"
    finally:
        await alerts.stop()
        await scheduler.stop()
