"""A run whose end the database refuses for a while (a full disk) is recorded once it
takes it: its task is neither left in_progress nor run again, and the refusal is said
once, not on every pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes.instant import InstantRunner
from fakes.support import PATIENCE, make_scheduler, run_until_idle

from maos_tui.domain import TaskStatus
from maos_tui.store import Store, StoreError

REFUSALS = 4


async def test_a_refused_run_end_is_recorded_later_and_the_task_not_run_again(
    store: Store, workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await store.agents.add("solo", command=["true"])
    task = await store.tasks.create("job")
    finish_many_in = store.runs.finish_many_in
    refused = 0

    async def full_disk(tx: Any, ends: Any) -> None:
        nonlocal refused
        if refused < REFUSALS:
            refused += 1
            raise StoreError("cannot write state.db: the disk is full")
        await finish_many_in(tx, ends)

    monkeypatch.setattr(store.runs, "finish_many_in", full_disk)
    runner = InstantRunner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await run_until_idle(scheduler, timeout=PATIENCE)
    assert refused == REFUSALS
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    assert [event for event, *_ in runner.log].count("start") == 1
    said = [r.getMessage() for r in caplog.records if "could not record" in r.getMessage()]
    assert said == ["could not record the end of run 1: cannot write state.db: the disk is full"]
    assert "Traceback" not in caplog.text
