"""LLM agents over real HTTP: litellm → the fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, error, text, tool_call, tool_calls
from fakes.support import make_scheduler, run_until_idle

from maos_tui.domain import AgentStatus, TaskStatus
from maos_tui.store import Store

MODEL = "openai/gpt-4o-mini"  # known to litellm's bundled price map


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    with FakeOpenAI() as server:
        yield server


async def add_llm(store: Store, fake: FakeOpenAI, name: str = "thinker", **extra: object) -> None:
    await store.agents.add(name, model=extra.pop("model", MODEL), api_base=fake.base_url, **extra)


async def one_task(store: Store, title: str = "plan the work", **fields: object) -> str:
    async with store.write() as tx:
        return await store.tasks.create_in(tx, title, **fields)  # type: ignore[arg-type]


async def test_tool_calls_create_subtasks_and_complete(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    parent = await one_task(store, description="split it in two")
    fake.script(
        tool_calls(
            ("create_task", {"title": "sub one"}),
            ("create_task", {"title": "sub two", "after": ["TASK-002"], "priority": 1}),
        ),
        tool_call("complete_task", summary="planned two steps"),
    )
    fake.default = tool_call("complete_task", summary="sub done")
    await run_until_idle(make_scheduler(store, workspace))

    done = await store.tasks.get(parent)
    assert done.status is TaskStatus.DONE
    assert done.result == "planned two steps"
    one, two = await store.tasks.get("TASK-002"), await store.tasks.get("TASK-003")
    assert (one.parent, one.created_by, one.status) == (parent, "thinker", TaskStatus.DONE)
    assert two.after == ("TASK-002",) and two.priority == 1 and two.status is TaskStatus.DONE

    first = fake.requests[0]
    assert first.body["model"] == "gpt-4o-mini"
    assert "You are thinker" in first.body["messages"][0]["content"]
    assert "split it in two" in first.text()
    offered = {t["function"]["name"] for t in first.body["tools"]}
    assert {"create_task", "complete_task", "fail_task", "post_message"} <= offered
    assert "request_changes" not in offered
    tool_replies = [m for m in fake.requests[1].body["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_replies] == ["created TASK-002", "created TASK-003"]

    [run] = await store.runs.for_task(parent)
    assert (run.tokens_in, run.tokens_out) == (24, 14)
    assert run.cost_usd > 0
    agent = await store.agents.get("thinker")
    assert agent.tokens_in == 24 + 12 * 2 and agent.tokens_out == 14 + 7 * 2
    async with store.read() as conn:
        totals = await store.agents.totals(conn)
    assert totals["tokens_in"] == agent.tokens_in
    assert totals["cost_usd"] == pytest.approx(agent.cost_usd)


async def test_text_without_complete_is_a_no_result_failure(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    task_id = await one_task(store, max_retries=0)
    fake.default = text("I think it is done.")
    await run_until_idle(make_scheduler(store, workspace))
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.FAILED
    assert task.last_error is not None and task.last_error.startswith("no result")
    assert len(fake.requests) == 2  # one reminder to call complete_task, then it gives up


async def test_rate_limit_then_success_retries_with_backoff(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    task_id = await one_task(store)
    fake.script(error(429, "slow down"), tool_call("complete_task", summary="second try"))
    config = "[scheduler]\nretry_base_seconds = 0\n"
    await run_until_idle(make_scheduler(store, workspace, config))
    task = await store.tasks.get(task_id)
    assert (task.status, task.result, task.retry_count) == (TaskStatus.DONE, "second try", 1)
    failed, ok = await store.runs.for_task(task_id)
    assert failed.outcome == "failed" and "RateLimitError" in (failed.error or "")
    assert ok.outcome == "done"
    assert len(fake.requests) == 2  # no hidden client-side retries


async def test_server_error_forever_fails_after_retries(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    task_id = await one_task(store, max_retries=1)
    fake.default = error(500, "kaboom")
    await run_until_idle(make_scheduler(store, workspace, "[scheduler]\nretry_base_seconds = 0\n"))
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.FAILED
    assert "InternalServerError" in (task.last_error or "")
    assert len(fake.requests) == 2


async def test_response_slower_than_the_task_timeout_fails_the_run(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    task_id = await one_task(store, max_retries=0, timeout_seconds=1)
    fake.default = tool_call("complete_task", summary="too late").slow(4)
    await run_until_idle(make_scheduler(store, workspace))
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.FAILED
    assert task.last_error == "timed out after 1s"


async def test_bad_tool_calls_are_answered_with_errors_not_raised(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake)
    task_id = await one_task(store)
    fake.script(
        tool_call("create_task", raw_arguments='{"title": "unterminated'),
        tool_calls(
            ("assign_task", {"task_id": "TASK-999", "agent": "thinker"}),
            ("create_task", {"description": "no title"}),
            ("create_task", {"title": "loop", "after": ["TASK-404"]}),
            ("update_status", {"task_id": task_id, "status": "done"}),
            ("teleport", {}),
        ),
        tool_call("complete_task", summary="recovered"),
    )
    await run_until_idle(make_scheduler(store, workspace))
    task = await store.tasks.get(task_id)
    assert (task.status, task.result) == (TaskStatus.DONE, "recovered")
    assert [t.id for t in await store.tasks.list()] == [task_id]  # nothing half-created

    def replies(index: int) -> list[str]:
        return [m["content"] for m in fake.requests[index].body["messages"] if m["role"] == "tool"]

    assert replies(1)[0].startswith("error: arguments are not valid JSON")
    assert replies(2)[1:5] == [
        "error: unknown task TASK-999",
        "error: missing field 'title'",
        "error: unknown task TASK-404",
        "error: use complete_task or fail_task for the task you are working on",
    ]
    assert replies(2)[5].startswith("error: unknown tool 'teleport'; available: create_task")


async def test_config_pricing_for_a_model_litellm_does_not_know(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    config = (
        '[pricing."openai/house-model"]\n'
        "input_cost_per_token = 0.001\noutput_cost_per_token = 0.002\n"
    )
    await add_llm(store, fake, model="openai/house-model")
    task_id = await one_task(store)
    fake.default = tool_call("complete_task", summary="ok")
    await run_until_idle(make_scheduler(store, workspace, config))
    [run] = await store.runs.for_task(task_id)
    assert run.cost_usd == pytest.approx(12 * 0.001 + 7 * 0.002)


async def test_unknown_model_without_pricing_counts_tokens_at_zero_cost(
    store: Store, workspace: Path, fake: FakeOpenAI
) -> None:
    await add_llm(store, fake, model="openai/house-model")
    task_id = await one_task(store)
    fake.default = tool_call("complete_task", summary="ok")
    await run_until_idle(make_scheduler(store, workspace))
    [run] = await store.runs.for_task(task_id)
    assert (run.tokens_in, run.tokens_out, run.cost_usd) == (12, 7, 0.0)


async def test_missing_provider_key_marks_the_agent_offline(
    store: Store, workspace: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    await store.agents.add("thinker", model=MODEL)  # OpenAI's own API: a key is needed
    task_id = await one_task(store)
    await run_until_idle(make_scheduler(store, workspace))
    agent = await store.agents.get("thinker")
    assert (agent.status, agent.status_reason) == (AgentStatus.OFFLINE, "missing OPENAI_API_KEY")
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.INBOX
    assert task.status_reason == "waiting: thinker is offline (missing OPENAI_API_KEY)"
    assert fake.requests == []


async def test_fake_server_streams_through_litellm(fake: FakeOpenAI) -> None:
    from maos_tui.agents.llm import load_litellm

    litellm = load_litellm()
    fake.default = text("hello streaming world")
    stream = await litellm.acompletion(
        model=MODEL,
        messages=[{"role": "user", "content": "hi"}],
        api_base=fake.base_url,
        stream=True,
        num_retries=0,
    )
    parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(parts).strip() == "hello streaming world"
    assert len([p for p in parts if p]) == 3
    assert json.loads(json.dumps(fake.requests[0].body))["stream"] is True


async def test_check_names_the_missing_key(
    store: Store, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maos_tui.agents.check import check_agent

    monkeypatch.delenv("OPENAI_API_KEY")
    await store.agents.add("thinker", model=MODEL)
    ok, line = await check_agent(await store.agents.get("thinker"))
    assert (ok, line) == (False, "thinker: missing OPENAI_API_KEY in the environment")
    assert fake.requests == []


async def test_a_server_of_ones_own_needs_no_key(
    store: Store, workspace: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An api_base (vLLM, llama.cpp, a hand-written server) works with no key set."""
    monkeypatch.delenv("OPENAI_API_KEY")
    await add_llm(store, fake)
    task_id = await one_task(store)
    fake.default = tool_call("complete_task", summary="done locally")
    await run_until_idle(make_scheduler(store, workspace))
    assert (await store.tasks.get(task_id)).status is TaskStatus.DONE
    assert (await store.agents.get("thinker")).status is not AgentStatus.OFFLINE
