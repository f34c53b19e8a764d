"""Command agents as real subprocesses: what they receive, their output, exit codes, and
process-group kills on cancel and timeout (including children that ignore SIGTERM)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from fakes.support import PATIENCE, alive, make_scheduler, run_until_idle, until

from maos_tui.agents.base import Outcome
from maos_tui.agents.command import parse_summary
from maos_tui.domain import TaskStatus
from maos_tui.store import Store

AGENTS = Path(__file__).parent.parent / "fakes" / "agents"


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(AGENTS / name), *args]


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    monkeypatch.setenv("REPORT_DIR", str(folder))
    return folder


async def test_command_agent_gets_task_json_env_and_cwd(
    store: Store, workspace: Path, reports: Path
) -> None:
    await store.agents.add("scripted", command=script("report.py", "--flag; rm -rf /"))
    dep = await store.tasks.create("first $(whoami) `id`")
    task = await store.tasks.create("second", after=[dep.id], description="do it")
    await run_until_idle(make_scheduler(store, workspace))

    done = await store.tasks.get(task.id)
    assert (done.status, done.result) == (TaskStatus.DONE, "handled second")
    report = json.loads((reports / f"{task.id}.json").read_text())
    assert report["cwd"] == str(workspace)
    assert report["argv"] == ["--flag; rm -rf /"]  # no shell: passed through verbatim
    assert report["env"]["MAOS_TASK_ID"] == task.id
    assert report["env"]["MAOS_TASK_TITLE"] == "second"
    assert report["env"]["MAOS_WORKSPACE"] == str(workspace)
    assert report["env"]["MAOS_AGENT"] == "scripted"
    given = report["stdin"]
    assert given["kind"] == "work"
    assert given["task"]["id"] == task.id and given["task"]["description"] == "do it"
    assert given["dependencies"] == [
        {"id": dep.id, "title": dep.title, "status": "done", "result": f"handled {dep.title}"}
    ]
    assert given["messages"] == []
    [run] = await store.runs.for_task(task.id)
    assert "reading the task\n" in run.output_log
    assert "[stderr] a warning on stderr\n" in run.output_log


async def test_nonzero_exit_fails_with_the_stderr_tail(
    store: Store, workspace: Path, reports: Path
) -> None:
    await store.agents.add("broken", command=script("report.py", "--fail"))
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "crash", max_retries=0)
    await run_until_idle(make_scheduler(store, workspace))
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.FAILED
    assert task.last_error == "exit status 3: a warning on stderr\ncompiler exploded: line 3"


async def test_missing_program_fails_clearly(store: Store, workspace: Path) -> None:
    await store.agents.add("ghost", command=["no-such-program-maos"])
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "x", max_retries=0)
    await run_until_idle(make_scheduler(store, workspace))
    error = (await store.tasks.get(task_id)).last_error or ""
    assert error.startswith("cannot start no-such-program-maos:")


@pytest.mark.parametrize("how", ["cancel", "timeout"])
async def test_cancel_and_timeout_kill_the_whole_process_group(
    store: Store, workspace: Path, tmp_path: Path, how: str
) -> None:
    pids_file = tmp_path / "pids"
    await store.agents.add("stubborn", command=script("stubborn.py", str(pids_file)))
    async with store.write() as tx:
        task_id = await store.tasks.create_in(
            tx, "never ends", max_retries=0, timeout_seconds=2 if how == "timeout" else 900
        )
    scheduler = make_scheduler(store, workspace)
    await scheduler.start()
    try:
        await until(lambda: asyncio.sleep(0, pids_file.exists() and pids_file.read_text()))
        parent, child = map(int, pids_file.read_text().split())
        assert alive(parent) and alive(child)
        if how == "cancel":
            await store.tasks.cancel(task_id)
        async with asyncio.timeout(PATIENCE):
            await until(lambda: asyncio.sleep(0, not alive(parent) and not alive(child)))
            await scheduler.wait_idle()
    finally:
        await scheduler.stop()
    task = await store.tasks.get(task_id)
    expected = TaskStatus.CANCELLED if how == "cancel" else TaskStatus.FAILED
    assert task.status is expected
    assert not (workspace / ".maos" / "runs").exists() or not any(
        (workspace / ".maos" / "runs").iterdir()
    )


def test_summary_is_the_last_line_or_its_json() -> None:
    assert parse_summary(["one", "two", "", "  "]).text == "two"
    assert parse_summary(["x", '{"summary": "all good"}']).text == "all good"
    changes = parse_summary(['{"request_changes": "add tests"}'])
    assert (changes.outcome, changes.text) == (Outcome.CHANGES, "add tests")
    failed = parse_summary(['{"fail": "no access"}'])
    assert (failed.outcome, failed.text) == (Outcome.FAILED, "no access")
    assert parse_summary(["{not json"]).text == "{not json"
    assert parse_summary([]).text == "done (no output)"
