"""Loop detection in real runs: the fake OpenAI server scripts a model that repeats a tool
call, a text or a failing call, and a stand-in command agent repeats its output. Each run
is nudged first (an Activity, and the model's next request carries the message), then
stopped when it goes on: its task parks as needs human with the evidence, no retry spent."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Received, Reply, tool_call
from fakes.support import PATIENCE, make_scheduler, run_until_idle, until

from maos_tui.collab import LOOPING, MessageType
from maos_tui.domain import ActivityRecord, AgentRecord, TaskRecord, TaskStatus
from maos_tui.store import Store
from maos_tui.store.views import read_view
from tests.conftest import Cli
from tests.worktrees.conftest import git, write
from tests.worktrees.scheduled import run_until_idle as run_until_idle_cli

MODEL = "openai/gpt-4o-mini"
AGENTS = Path(__file__).parent.parent / "fakes" / "agents"
NUDGED = "nudged looping agent"
SAID = "you are repeating yourself"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    with FakeOpenAI() as server:
        yield server


async def llm_task(store: Store, fake: FakeOpenAI) -> str:
    await store.agents.add("thinker", model=MODEL, api_base=fake.base_url)
    async with store.write() as tx:
        return await store.tasks.create_in(tx, "fix the login test", max_retries=2)


async def history(store: Store, task_id: str) -> list[ActivityRecord]:
    async with read_view(store) as view:
        return await view.history(task_id)


async def assert_nudged_then_parked(
    store: Store, task_id: str, nudged: str, stopped: str
) -> TaskRecord:
    """The task's Activities hold one nudge (saying `nudged`), then the stop; the task
    waits for a person, with `stopped` as its evidence."""
    verbs = [a.verb for a in await history(store, task_id)]
    assert verbs.count(NUDGED) == 1, verbs
    assert verbs.index(NUDGED) < verbs.index("stopped looping run"), verbs
    nudge = next(a for a in await history(store, task_id) if a.verb == NUDGED)
    assert nudged in str(nudge.details["loop"])
    evidence = stopped

    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.IN_PROGRESS
    assert (task.status_reason or "").startswith(f"{LOOPING}: ")
    assert evidence in (task.status_reason or "")
    assert (task.last_error or "").startswith("looping: ") and evidence in task.last_error
    assert task.retry_count == 0  # no retry burnt
    [run] = await store.runs.for_task(task_id)
    assert run.outcome == "looping" and evidence in (run.error or "")
    question = (await store.messages.list(task_id))[-1]
    assert question.type is MessageType.QUESTION and evidence in question.text
    assert task_id in await store.messages.needs_human([task_id])
    return task


async def test_the_same_tool_call_is_nudged_then_parked(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    task_id = await llm_task(store, fake)
    fake.default = tool_call("post_message", text="still checking the login test")
    scheduler = make_scheduler(store, workspace)
    await scheduler.start()
    try:
        async with asyncio.timeout(PATIENCE):
            await scheduler.wait_idle()
        call = 'post_message {"text":"still checking the login test"}'
        await assert_nudged_then_parked(
            store,
            task_id,
            f"the same tool call 4 times: {call}",
            f"the same tool call 5 times: {call}",
        )
        # Four calls, the nudge in the fifth request, whose call stopped the run unexecuted.
        assert len(fake.requests) == 5
        assert SAID not in fake.requests[3].text() and SAID in fake.requests[4].text()
        assert len(await store.messages.list(task_id)) == 4 + 1  # its posts, the question

        # A person answers in the thread: the task runs again, its retries intact.
        fake.default = tool_call("complete_task", summary="posted once, done")
        await store.messages.post(task_id, "human", "Stop posting; finish the task.")

        async def done() -> bool:
            return (await store.tasks.get(task_id)).status is TaskStatus.DONE

        await until(done, message="the answered task never ran again to done")
    finally:
        await scheduler.stop()
    task = await store.tasks.get(task_id)
    assert (task.retry_count, task.result) == (0, "posted once, done")


async def test_a_run_parked_while_a_pass_plans_is_not_started_again(
    store: Store, workspace: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass that read the board before a looping run was parked, and planned after its
    slot was freed, once started the parked task again (seen as two nudges, 1 in ~20)."""
    task_id = await llm_task(store, fake)
    fake.default = tool_call("post_message", text="still checking the login test")
    scheduler = make_scheduler(store, workspace)
    gate = scheduler.gate
    usable = gate.usable
    held: list[str] = []

    async def after_the_park(agents: list[AgentRecord]) -> list[AgentRecord]:
        # The first pass after the nudge waits here, between its read and its plan, for
        # the run to be stopped, parked and its slot freed.
        if not held and NUDGED in [a.verb for a in await history(store, task_id)]:
            held.append(task_id)
            await until(
                lambda: task_id not in scheduler.active_runs,
                message="the nudged run was never stopped",
            )
        return await usable(agents)

    monkeypatch.setattr(gate, "usable", after_the_park)
    await run_until_idle(scheduler)

    assert held, "no pass planned while the run was being stopped"
    verbs = [a.verb for a in await history(store, task_id)]
    assert (verbs.count("started"), verbs.count(NUDGED)) == (1, 1), verbs
    assert len(fake.requests) == 5


async def test_the_same_text_is_nudged_then_parked(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    task_id = await llm_task(store, fake)
    titles = itertools.count(1)

    def same_words(_: Received) -> Reply:
        arguments = json.dumps({"title": f"note {next(titles)}", "content": "draft"})
        return Reply(
            content="Let me look at the failing test.", tool_calls=(("write_document", arguments),)
        )

    fake.responder = same_words
    await run_until_idle(make_scheduler(store, workspace))

    said = "Let me look at the failing test."
    await assert_nudged_then_parked(
        store, task_id, f"the same assistant text 3 times: {said}", f"text 4 times: {said}"
    )
    assert len(fake.requests) == 4
    assert SAID in fake.requests[3].text()


async def test_the_same_tool_error_in_a_row_is_nudged_then_parked(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    task_id = await llm_task(store, fake)
    paths = itertools.count(1)
    fake.responder = lambda _: tool_call("read_file", path=f"src/file_{next(paths)}.py")
    await run_until_idle(make_scheduler(store, workspace))

    error = "error: unknown tool 'read_file'"
    task = await assert_nudged_then_parked(
        store, task_id, f"error 3 times in a row: {error}", f"error 4 times in a row: {error}"
    )
    assert "looping" in (task.last_error or "")
    assert len(fake.requests) == 4
    assert SAID in fake.requests[3].text()


async def test_a_command_agent_repeating_its_output_is_nudged_then_parked(
    store: Store, workspace: Path
) -> None:
    await store.agents.add("looper", command=[sys.executable, str(AGENTS / "looper.py")])
    async with store.write() as tx:
        task_id = await store.tasks.create_in(tx, "make the login test pass", max_retries=2)
    await run_until_idle(make_scheduler(store, workspace), timeout=120)

    failed = "FAILED test_login: assert 401 == 200"
    await assert_nudged_then_parked(store, task_id, "block 3 times", failed)
    task = await store.tasks.get(task_id)
    assert "the same output block 6 times" in (task.last_error or "")
    [run] = await store.runs.for_task(task_id)
    assert "gave up" not in run.output_log  # stopped long before its own end


async def test_reads_of_different_files_are_not_flagged(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    """A normal run in a worktree: read_file over and over on different files (the same
    short remark twice among them), then done. Nothing is nudged or stopped."""
    git(workspace, "init", "-q", "-b", "main")
    write(workspace, ".gitignore", ".maos/\n")
    for i in range(8):
        write(workspace, f"src/f{i}.py", f"VALUE = {i}\n")
    git(workspace, "add", ".")
    git(workspace, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "first")
    task_id = await llm_task(store, fake)
    fake.script(
        *(
            Reply(
                content="Reading the next file." if i in (2, 5) else f"Step {i}.",
                tool_calls=(("read_file", json.dumps({"path": f"src/f{i}.py"})),),
            )
            for i in range(8)
        ),
        tool_call("complete_task", summary="read eight files"),
    )
    await run_until_idle(make_scheduler(store, workspace))

    task = await store.tasks.get(task_id)
    assert task.result == "read eight files" and task.retry_count == 0
    assert task.status in (TaskStatus.REVIEW, TaskStatus.DONE)
    assert NUDGED not in [a.verb for a in await history(store, task_id)]
    assert not any(SAID in r.text() for r in fake.requests)
    replies = [m["content"] for m in fake.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(replies) == 8 and "VALUE = 7" in replies[-1]  # the files were really read


def test_a_looping_run_stopped_alerts_the_person_with_the_evidence(
    cli: Cli, tmp_path: Path
) -> None:
    """From `maos-tui run` itself: the parked task's question goes out as an alert."""
    got = tmp_path / "alerts.jsonl"
    append = f"import sys; open({str(got)!r}, 'a').write(sys.stdin.read() + '\\n')"
    looper = json.dumps([sys.executable, str(AGENTS / "looper.py")])
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(
        f'[[agents]]\nname = "looper"\ncommand = {looper}\n\n'
        f"[alerts]\ncommand = {json.dumps([sys.executable, '-c', append])}\n",
        encoding="utf-8",
    )
    run_until_idle_cli(cli)  # the alerts start, and read on from here
    tid = cli.ok("task", "add", "Make the login test pass").strip()
    run_until_idle_cli(cli)
    shown = json.loads(cli.ok("task", "show", tid, "--json"))
    assert (shown["status"], shown["retry_count"]) == ("in_progress", 0)
    sent = [a for line in got.read_text().splitlines() for a in json.loads(line)["alerts"]]
    assert [(a["kind"], a["task_id"]) for a in sent] == [("question", tid)]
    assert "FAILED test_login" in json.dumps(sent)
