"""Mentions reach agents on their heartbeat, questions to the human park the task.

The LLM agent talks to the fake OpenAI-compatible server over real HTTP, so these tests
see exactly what the model is sent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Received, Reply, text, tool_call
from fakes.support import make_scheduler, run_until_idle
from sqlalchemy import select

from maos_tui.collab import NEEDS_HUMAN
from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.store import Store
from maos_tui.store.models import Run
from tests.conftest import Cli


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with FakeOpenAI(default=text("nothing more to say")) as fake:
        yield fake


async def add_llm(store: Store, server: FakeOpenAI, name: str, *caps: str) -> None:
    await store.agents.add(
        name,
        model="openai/fake-model",
        api_base=server.base_url,
        capabilities=list(caps),
        heartbeat_seconds=1,
    )


async def runs(store: Store) -> list[tuple[str, str, str, str | None]]:
    async with store.read() as conn:
        rows = await conn.execute(
            select(Run.task_id, Run.agent_name, Run.kind, Run.outcome).order_by(Run.id)
        )
        return [tuple(r) for r in rows.all()]


async def test_mention_wakes_an_idle_agent_for_a_reply_run(
    store: Store, workspace: Path, server: FakeOpenAI
) -> None:
    await add_llm(store, server, "helper")
    # Needs a capability nobody has: the helper never gets this task as its own work.
    task = await store.tasks.create("Pick a format", needs=["design"])
    await store.messages.post(task.id, HUMAN, "@helper CSV or JSON for the export?")
    server.script(
        tool_call("post_message", text="JSON: nested fields survive."),
        tool_call("complete_task", summary="answered the format question"),
    )
    await run_until_idle(make_scheduler(store, workspace))

    first = server.requests[0].text()
    assert "CSV or JSON for the export?" in first  # the thread
    assert "human mentioned you in the thread of TASK-001" in first  # the notification
    assert "This is not\nyour task to do" in first  # the reply-run rules
    tools = {t["function"]["name"] for t in server.requests[0].body["tools"]}
    assert tools == {"post_message", "write_document", "complete_task"}
    thread = await store.messages.list(task.id)
    assert [(m.author, m.text) for m in thread][-1] == ("helper", "JSON: nested fields survive.")
    (note,) = await store.notifications.list("helper")
    assert note.delivered_at is not None and note.read_at is not None
    assert await store.notifications.open_mentions() == {}
    assert await runs(store) == [(task.id, "helper", "reply", "done")]
    after = await store.tasks.get(task.id)
    assert (after.status, after.assignees) == (TaskStatus.INBOX, ())

    # Delivered once: a second scheduler finds nothing to deliver and calls no model.
    calls = len(server.requests)
    await run_until_idle(make_scheduler(store, workspace))
    assert len(server.requests) == calls


async def test_mention_on_own_task_is_delivered_with_the_work_run(
    store: Store, workspace: Path, server: FakeOpenAI
) -> None:
    await add_llm(store, server, "coder")
    task = await store.tasks.create("Write the parser", description="@coder use the stdlib")
    server.script(tool_call("complete_task", summary="parser written"))
    await run_until_idle(make_scheduler(store, workspace))
    assert "coder mentioned you" not in server.requests[0].text()
    assert "human mentioned you in the description of TASK-001" in server.requests[0].text()
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    assert await runs(store) == [(task.id, "coder", "work", "done")]
    assert await store.notifications.open_mentions() == {}


async def test_question_to_human_parks_the_task_and_the_answer_resumes_it(
    store: Store, workspace: Path, server: FakeOpenAI
) -> None:
    await add_llm(store, server, "coder")
    task = await store.tasks.create("Export the report")
    server.script(tool_call("post_message", text="@human CSV or JSON?", type="question"))
    await run_until_idle(make_scheduler(store, workspace))

    parked = await store.tasks.get(task.id)
    assert (parked.status, parked.status_reason) == (TaskStatus.IN_PROGRESS, NEEDS_HUMAN)
    assert await store.messages.needs_human() == {task.id}
    assert await runs(store) == [(task.id, "coder", "work", "waiting")]
    (note,) = await store.notifications.list(unread=True)
    assert "CSV or JSON?" in note.text
    assert len(server.requests) == 1

    # Restarting the scheduler neither requeues nor reruns the parked task.
    await run_until_idle(make_scheduler(store, workspace))
    assert len(server.requests) == 1
    assert (await store.tasks.get(task.id)).retry_count == 0

    question = (await store.messages.list(task.id))[-1]
    await store.messages.post(task.id, HUMAN, "JSON please", type="answer", reply_to=question.id)
    server.script(tool_call("complete_task", summary="exported as JSON"))
    await run_until_idle(make_scheduler(store, workspace))

    assert "JSON please" in server.requests[-1].text()
    done = await store.tasks.get(task.id)
    assert (done.status, done.result, done.assignees) == (
        TaskStatus.DONE,
        "exported as JSON",
        ("coder",),
    )
    assert await store.messages.needs_human() == set()
    assert [r[3] for r in await runs(store)] == ["waiting", "done"]


async def test_question_to_another_agent_does_not_park(
    store: Store, workspace: Path, server: FakeOpenAI
) -> None:
    await add_llm(store, server, "coder")
    await add_llm(store, server, "expert", "expertise")
    task = await store.tasks.create("Tune the cache")

    def respond(received: Received) -> Reply:
        if received.body["messages"][-1]["role"] == "tool":  # its message went out
            return tool_call("complete_task", summary="done talking")
        if "You are expert" in received.text():
            return tool_call("post_message", text="Short TTLs are fine here.")
        return tool_call("post_message", text="@expert which TTL?", type="question")

    server.responder = respond
    await run_until_idle(make_scheduler(store, workspace))
    thread = await store.messages.list(task.id)
    assert [(m.author, m.type.value) for m in thread] == [
        ("coder", "question"),
        ("expert", "comment"),
    ]
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    assert [(r[1], r[2]) for r in await runs(store)] == [("coder", "work"), ("expert", "reply")]
    assert await store.notifications.list() == []  # the human was never asked


COMMAND_AGENT = """\
import json, os, subprocess, sys
data = json.load(sys.stdin)
with open(os.environ["AGENT_SEEN"], "a") as seen:
    seen.write(json.dumps(data) + "\\n")
if not any(m["author"] == "human" for m in data["messages"]):
    subprocess.run(
        [sys.executable, "-m", "maos_tui", "msg", "post", os.environ["MAOS_TASK_ID"],
         "CSV or JSON?", "--type", "question", "--as", os.environ["MAOS_AGENT"]],
        check=True,
    )
"""


async def test_command_agent_gets_thread_and_mentions_on_stdin_and_can_ask(
    store: Store, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "agent.py"
    script.write_text(COMMAND_AGENT)
    seen = tmp_path / "seen.jsonl"
    monkeypatch.setenv("AGENT_SEEN", str(seen))
    await store.agents.add("cmd", command=[sys.executable, str(script)], heartbeat_seconds=1)
    task = await store.tasks.create("Export", description="@cmd pick the format")
    await run_until_idle(make_scheduler(store, workspace))

    (first,) = [json.loads(line) for line in seen.read_text().splitlines()]
    assert first["messages"] == []
    assert [n["text"][:40] for n in first["notifications"]] == [
        "human mentioned you in the description o"
    ]
    parked = await store.tasks.get(task.id)
    assert (parked.status, parked.status_reason) == (TaskStatus.IN_PROGRESS, NEEDS_HUMAN)
    assert [r[3] for r in await runs(store)] == ["waiting"]

    await store.messages.post(task.id, HUMAN, "JSON")
    await run_until_idle(make_scheduler(store, workspace))
    second = json.loads(seen.read_text().splitlines()[1])
    assert [(m["author"], m["type"]) for m in second["messages"]] == [
        ("cmd", "question"),
        (HUMAN, "comment"),
    ]
    assert second["notifications"] == []  # delivered once, with the first run
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE


def test_run_until_idle_waits_for_the_mentioned_agent_to_answer(
    cli: Cli, server: FakeOpenAI
) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "helper", "--model", "openai/fake-model",
           "--api-base", server.base_url, "--heartbeat", "1")  # fmt: skip
    task = cli.ok("task", "add", "Pick a format", "--needs", "design").strip()
    cli.ok("msg", "post", task, "@helper CSV or JSON?")
    server.script(
        tool_call("post_message", text="JSON."),
        tool_call("complete_task", summary="answered"),
    )
    cli.ok("run", "--until-idle")
    thread = json.loads(cli.ok("msg", "list", task, "--json"))
    assert [(m["author"], m["text"]) for m in thread][-1] == ("helper", "JSON.")
    assert "@helper CSV or JSON?" in server.requests[0].text()
