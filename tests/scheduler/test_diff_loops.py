"""The worktree rule of loop detection in real runs: an agent that keeps acting in its
task's worktree (a real git repository) while the diff does not move is nudged, then
stopped and parked; one whose diff moves is left alone. LLM agents on the fake OpenAI
server count tool calls; a stand-in command agent counts minutes while it prints."""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Received, Reply, tool_call
from fakes.support import make_scheduler, run_until_idle

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from tests.scheduler.test_loops import NUDGED, assert_nudged_then_parked, history, llm_task
from tests.worktrees.conftest import git, write

AGENTS = Path(__file__).parent.parent / "fakes" / "agents"
STEPS = "[scheduler]\nloop_diff_steps = 5\nstep_limit = 40\n"
NOT_PROGRESS = "you are not making progress"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def repo(workspace: Path) -> Path:
    """The workspace as a git repository with twenty files to read."""
    git(workspace, "init", "-q", "-b", "main")
    write(workspace, ".gitignore", ".maos/\n")
    for i in range(20):
        write(workspace, f"src/f{i}.py", f"VALUE = {i}\n")
    git(workspace, "add", ".")
    git(workspace, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "first")
    return workspace


async def test_an_llm_agent_acting_without_changing_files_is_nudged_then_parked(
    store: Store, repo: Path, fake: FakeOpenAI
) -> None:
    """Reads of ever other files, each with other words: no repeat rule fires, but after
    five calls the diff has not moved."""
    task_id = await llm_task(store, fake)
    counter = itertools.count(0)

    def reads(_: Received) -> Reply:
        n = next(counter)
        path = json.dumps({"path": f"src/f{n}.py"})
        return Reply(content=f"Looking at file {n}.", tool_calls=(("read_file", path),))

    fake.responder = reads
    await run_until_idle(make_scheduler(store, repo, STEPS), timeout=60)

    await assert_nudged_then_parked(
        store,
        task_id,
        "the worktree's diff unchanged for 5 steps",
        "the worktree's diff unchanged for 10 steps",
    )
    # The first call is the baseline; five calls later the nudge is in the next request;
    # five more and the run stops, its last call unexecuted.
    assert len(fake.requests) == 11
    assert NOT_PROGRESS not in fake.requests[5].text()
    assert NOT_PROGRESS in fake.requests[6].text()
    replies = [m for m in fake.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(replies) == 10 and "VALUE = 9" in replies[-1]["content"]
    task = await store.tasks.get(task_id)
    assert task.branch is not None and task.branch.worktree  # it ran in its worktree


async def test_an_llm_agent_nudged_may_finish_without_changing_files(
    store: Store, repo: Path, fake: FakeOpenAI
) -> None:
    """A task that needs no change: nudged after five reads, the agent reads on and
    finishes where it would have been stopped. Finishing is no step."""
    task_id = await llm_task(store, fake)
    fake.script(
        *(
            Reply(
                content=f"Reading file {i}.",
                tool_calls=(("read_file", json.dumps({"path": f"src/f{i}.py"})),),
            )
            for i in range(10)
        ),
        tool_call("complete_task", summary="the values run from 0 to 9"),
    )
    await run_until_idle(make_scheduler(store, repo, STEPS), timeout=60)

    task = await store.tasks.get(task_id)
    assert (task.status, task.result) == (TaskStatus.DONE, "the values run from 0 to 9")
    verbs = [a.verb for a in await history(store, task_id)]
    assert verbs.count(NUDGED) == 1 and "stopped looping run" not in verbs
    assert len(fake.requests) == 11 and NOT_PROGRESS in fake.requests[6].text()


async def test_an_llm_agent_changing_files_each_step_is_not_flagged(
    store: Store, repo: Path, fake: FakeOpenAI
) -> None:
    task_id = await llm_task(store, fake)
    fake.script(
        *(
            Reply(
                content=f"Writing module {i}.",
                tool_calls=(
                    ("write_file", json.dumps({"path": f"src/new{i}.py", "content": "x"})),
                ),
            )
            for i in range(12)
        ),
        tool_call("complete_task", summary="wrote twelve modules"),
    )
    await run_until_idle(make_scheduler(store, repo, STEPS.replace("= 5", "= 3")), timeout=60)

    task = await store.tasks.get(task_id)
    assert (task.status, task.result) == (TaskStatus.REVIEW, "wrote twelve modules")
    assert NUDGED not in [a.verb for a in await history(store, task_id)]
    assert not any(NOT_PROGRESS in r.text() for r in fake.requests)


async def test_a_command_agent_busy_without_changing_files_is_nudged_then_parked(
    store: Store, repo: Path
) -> None:
    await store.agents.add("busy", command=[sys.executable, str(AGENTS / "busy.py"), "nothing"])
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "make the login test pass", max_retries=2)
    config = "[scheduler]\nloop_diff_minutes = 0.05\n"  # three seconds
    await run_until_idle(make_scheduler(store, repo, config), timeout=60)

    await assert_nudged_then_parked(
        store, task_id, "the worktree's diff unchanged for", "the worktree's diff unchanged for"
    )
    nudge = next(a for a in await history(store, task_id) if a.verb == NUDGED)
    assert re.fullmatch(
        r"the worktree's diff unchanged for \d+ seconds", str(nudge.details["loop"])
    )
    task = await store.tasks.get(task_id)
    seconds = int(re.findall(r"unchanged for (\d+) seconds", task.last_error or "")[0])
    assert seconds >= 6, task.last_error  # twice the threshold: nudged at 3, stopped at 6
    [run] = await store.runs.for_task(task_id)
    assert "checked item 2 " in run.output_log and 'steps"}' not in run.output_log


async def test_a_command_agent_whose_diff_moves_is_not_flagged(store: Store, repo: Path) -> None:
    await store.agents.add("busy", command=[sys.executable, str(AGENTS / "busy.py"), "edit", "8"])
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "write the steps", max_retries=2)
    config = "[scheduler]\nloop_diff_minutes = 0.05\n"
    await run_until_idle(make_scheduler(store, repo, config), timeout=60)

    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.REVIEW and (task.result or "").startswith("edit: ")
    assert NUDGED not in [a.verb for a in await history(store, task_id)]
