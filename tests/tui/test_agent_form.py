"""The agent form sets up every kind of agent, a local OpenAI-compatible server included,
and names its own fields in errors; the agents screen and bar say at once why an agent
cannot work, and count as load only what runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Label, TextArea

from maos_tui.domain import AgentStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.agents import AgentForm, AgentsScreen

SIZE = (120, 40)


def form_error(app: MaosApp) -> str:
    return str(app.screen.query_one("#error", Label).render())


def fill(app: MaosApp, **values: str) -> None:
    for field, value in values.items():
        app.screen.query_one(f"#{field}", Input).value = value


async def open_form(app: MaosApp, pilot, key: str = "n") -> AgentForm:  # type: ignore[no-untyped-def]
    if not isinstance(app.screen, AgentsScreen):
        await pilot.press("A")
        await pilot.pause()
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, AgentForm)
    return app.screen


async def save(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_a_local_server_agent_is_set_up_from_the_form(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(app, pilot)
        fill(app, name="vllm", model="openai/qwen", api_base="not a url")
        await save(pilot)
        assert "API base must be an http:// or https:// URL with a host" in form_error(app)
        assert app.focused is app.screen.query_one("#api_base")
        fill(app, api_base="http://127.0.0.1:8000/v1", heartbeat_seconds="0")
        await save(pilot)
        assert "Heartbeat must be at least 1, not 0" in form_error(app)
        fill(app, heartbeat_seconds="often")
        await save(pilot)
        assert "Heartbeat must be a whole number" in form_error(app)
        fill(app, heartbeat_seconds="5", max_concurrent="2", capabilities="code, review")
        app.screen.query_one("#system_prompt", TextArea).text = "You write tests.\nSmall ones."
        await save(pilot)
        assert isinstance(app.screen, AgentsScreen), form_error(app)
    agent = await store.agents.get("vllm")
    assert (agent.api_base, agent.heartbeat_seconds, agent.max_concurrent) == (
        "http://127.0.0.1:8000/v1",
        5,
        2,
    )
    assert agent.capabilities == ("code", "review")
    assert agent.system_prompt == "You write tests.\nSmall ones."


async def test_form_errors_name_the_form_fields(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(app, pilot)
        fill(app, name="x", model="notaprovider")
        await save(pilot)
        assert "Model 'notaprovider' names no provider litellm knows" in form_error(app)
        fill(app, command="tool.sh")
        await save(pilot)
        assert "give exactly one of Model or Command" in form_error(app)
        assert "--" not in form_error(app)
    assert await store.agents.list() == []


async def test_a_shell_command_is_kept_exactly_and_shown_as_typed(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    command = 'tool.sh "$MAOS_TASK_TITLE" | tee log'
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(app, pilot)
        fill(app, name="s", command=command)
        app.screen.query_one("#shell", Checkbox).value = True
        await save(pilot)
        assert (await store.agents.get("s")).command == (command,)
        await open_form(app, pilot, "e")
        assert app.screen.query_one("#command", Input).value == command
        assert app.screen.query_one("#shell", Checkbox).value is True


async def test_an_api_base_secret_is_masked_in_the_form_and_kept(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    url = "https://llm.example.com/v1?api_key=s3cr3t-value"
    await store.agents.add("remote", model="openai/x", api_base=url)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(app, pilot, "e")
        shown = app.screen.query_one("#api_base", Input).value
        assert shown == "https://llm.example.com/v1?api_key=[redacted]"
        fill(app, role="remote worker")
        await save(pilot)
        assert isinstance(app.screen, AgentsScreen), form_error(app)
    agent = await store.agents.get("remote")
    assert (agent.api_base, agent.role) == (url, "remote worker")


async def test_the_screen_and_bar_show_a_missing_key_and_count_only_running_work(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await store.agents.add("thinker", model="openai/gpt-4o-mini")
    await store.tasks.create("plan it", assignees=["thinker"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = str(app.main_screen.query_one("#agent-bar").render())
        assert "thinker offline (missing OPENAI_API_KEY)" in bar
        await pilot.press("A")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row("thinker")]
        assert "offline (missing OPENAI_API_KEY)" in row
        assert "0/1" in row
        await pilot.press("p")
        await pilot.pause()
        assert (await store.agents.get("thinker")).status is AgentStatus.PAUSED
        row = [str(cell) for cell in table.get_row("thinker")]
        assert "paused (paused by human)" in row


async def test_the_starter_team_prompt_refuses_an_unroutable_model(
    store: Store, make_app: Callable[..., MaosApp], isolated_env: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        await pilot.pause()
        await pilot.press(*"notaprovider", "enter")
        await pilot.pause()
        assert "'notaprovider' names no provider litellm knows" in form_error(app)
    assert await store.agents.list() == []
    assert not isolated_env.exists() or "notaprovider" not in isolated_env.read_text()
