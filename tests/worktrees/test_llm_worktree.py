"""An LLM agent on a task with a worktree (litellm → the fake OpenAI server): its context
says where it works, it gets the worktree's file tools, a path out of the worktree is an
error it can fix, and what it wrote is committed on the task's branch. Without a worktree,
the file tools are not offered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, tool_call
from fakes.support import make_scheduler, run_until_idle

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from tests.worktrees.conftest import git, write

MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    with FakeOpenAI() as server:
        yield server


def tool_names(body: dict) -> set[str]:
    return {t["function"]["name"] for t in body.get("tools", [])}


async def test_an_llm_agent_works_in_its_worktree_with_confined_file_tools(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    git(workspace, "init", "-q", "-b", "main")
    write(workspace, ".gitignore", ".maos/\n")
    write(workspace, "README.md", "hello\n")
    git(workspace, "add", ".")
    git(workspace, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "first")
    await store.agents.add("thinker", model=MODEL, api_base=fake.base_url)
    task = await store.tasks.create("Write notes")
    fake.script(
        tool_call("write_file", path="notes.md", content="notes\n"),
        tool_call("read_file", path="../README.md"),
        tool_call("complete_task", summary="wrote the notes"),
    )
    await run_until_idle(make_scheduler(store, workspace))

    done = await store.tasks.get(task.id)
    assert done.status is TaskStatus.REVIEW and done.branch is not None
    tree = Path(done.branch.worktree or "")
    assert tree == workspace / ".maos" / "worktrees" / task.id
    first = fake.requests[0]
    assert {"write_file", "read_file", "list_files", "search", "apply_patch"} <= tool_names(
        first.body
    )
    assert "run_command" not in tool_names(first.body)  # no [workspace] allowed_commands
    assert f"You work in your own git worktree at {tree}" in first.text()
    escape = fake.requests[2].body["messages"][-1]
    assert escape["role"] == "tool" and escape["content"].startswith("error: ")
    assert not (workspace / "notes.md").exists()
    assert git(workspace, "show", f"{done.branch.name}:notes.md") == "notes"
    log = git(workspace, "log", "-1", "--format=%s%n%b%an", done.branch.name)
    assert log.splitlines() == [f"{task.id}: Write notes", "wrote the notes", "thinker"]


async def test_without_a_worktree_the_file_tools_are_not_offered(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await store.agents.add("thinker", model=MODEL, api_base=fake.base_url)
    task = await store.tasks.create("Plan only")
    fake.script(tool_call("complete_task", summary="planned"))
    await run_until_idle(make_scheduler(store, workspace))
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    names = tool_names(fake.requests[0].body)
    assert "complete_task" in names and not names & {"write_file", "read_file", "list_files"}
    assert "worktree" not in json.dumps(fake.requests[0].body["messages"][1])
