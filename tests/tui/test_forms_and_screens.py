"""The new/edit task form, the agents screen and the first-run welcome, checked in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Label

from maos_tui.domain import AgentStatus, TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.agents import AgentForm, AgentsScreen
from maos_tui.tui.screens.task_form import TaskForm

from .conftest import card_ids

SIZE = (100, 32)


def form_error(app: MaosApp) -> str:
    return str(app.screen.query_one("#error", Label).render())


async def test_new_task_form_saves(store: Store, make_app: Callable[..., MaosApp]):
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, TaskForm)
        await pilot.press(*"Fix the login bug")
        app.screen.query_one("#priority").value = "1"
        await pilot.press("tab", "tab", "tab")  # description, priority, assignees
        await pilot.press(*"co", "right")  # autocompletes to coder
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main_screen
        task = await store.tasks.get("TASK-001")
        assert (task.title, task.priority, task.assignees) == ("Fix the login bug", 1, ("coder",))
        assert "TASK-001" in card_ids(app, "assigned")


async def test_new_task_form_errors_save_nothing(store: Store, make_app: Callable[..., MaosApp]):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskForm)
        assert "title is empty" in form_error(app)
        await pilot.press(*"A title")
        app.screen.query_one("#assignees").value = "ghost"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "unknown agent ghost" in form_error(app)
        await pilot.press("escape")
        await pilot.pause()
    assert await store.tasks.list() == []


async def test_edit_form_refuses_a_cycle(store: Store, make_app: Callable[..., MaosApp]):
    await store.tasks.create("First")
    await store.tasks.create("Second", after=["TASK-001"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")  # TASK-001 is focused first
        await pilot.pause()
        app.screen.query_one("#after").value = "TASK-002"
        app.screen.query_one("#title").value = "First, renamed"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "cycle: TASK-001 -> TASK-002 -> TASK-001" in form_error(app)
        await pilot.press("escape")
        await pilot.pause()
        unchanged = await store.tasks.get("TASK-001")
        assert (unchanged.title, unchanged.after) == ("First", ())
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#title").value = "First, renamed"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert (await store.tasks.get("TASK-001")).title == "First, renamed"


async def test_agents_screen_add_edit_pause_remove(store: Store, make_app: Callable[..., MaosApp]):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, AgentsScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, AgentForm)
        await pilot.press(*"bad name!")
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid agent name" in form_error(app)
        app.screen.query_one("#name").value = "coder"
        await pilot.press("enter")
        await pilot.pause()
        assert "give exactly one of Model or Command" in form_error(app)
        app.screen.query_one("#model").value = "ollama/llama3.1"
        app.screen.query_one("#capabilities").value = "code, docs"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgentsScreen)
        agent = await store.agents.get("coder")
        assert (agent.model, agent.capabilities) == ("ollama/llama3.1", ("code", "docs"))

        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#model").value = "openai/gpt-4o-mini"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (await store.agents.get("coder")).model == "openai/gpt-4o-mini"

        await pilot.press("p")
        await pilot.pause()
        assert (await store.agents.get("coder")).status is AgentStatus.PAUSED
        await pilot.press("p")
        await pilot.pause()
        assert (await store.agents.get("coder")).status is AgentStatus.IDLE

        await pilot.press("c")
        await pilot.pause()
        assert "coder" in str(app.screen.query_one("#agent-note").render())

        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert await store.agents.list() == []
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_welcome_and_starter_team_with_default_model(
    store: Store, make_app: Callable[..., MaosApp], isolated_env: Path
):
    isolated_env.parent.mkdir(parents=True, exist_ok=True)
    isolated_env.write_text('default_model = "openai/gpt-4o-mini"\n', encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.main_screen.has_class("welcome")
        welcome = str(app.main_screen.query_one("#welcome").render())
        assert "ollama/" in welcome and "--command" in welcome and "WORKING.md" in welcome
        await pilot.press("S")
        await pilot.pause(0.2)
        agents = await store.agents.list()
        assert sorted(a.name for a in agents) == ["orchestrator", "qa", "technical"]
        assert {a.model for a in agents} == {"openai/gpt-4o-mini"}
        assert "review" in next(a for a in agents if a.name == "qa").capabilities
        await pilot.pause()
        assert not app.main_screen.has_class("welcome")


async def test_starter_team_asks_for_a_model(
    store: Store, make_app: Callable[..., MaosApp], isolated_env: Path
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert "asks for a model first" in str(app.main_screen.query_one("#welcome").render())
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("enter")  # empty: an inline error
        await pilot.pause()
        assert "model is empty" in form_error(app)
        await pilot.press(*"ollama/llama3.1", "enter")
        await pilot.pause(0.2)
    assert len(await store.agents.list()) == 3
    assert 'default_model = "ollama/llama3.1"' in isolated_env.read_text(encoding="utf-8")


async def test_notifications_key_and_theme_is_remembered(
    store: Store, make_app: Callable[..., MaosApp], isolated_env: Path
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "maos-dark"
        await pilot.press("N")
        await pilot.pause()
        from maos_tui.tui.screens.collab import NotificationsScreen

        assert isinstance(app.screen, NotificationsScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"maos-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "maos-light"
    assert 'theme = "maos-light"' in isolated_env.read_text(encoding="utf-8")


async def test_moved_task_status_survives_reload(store: Store, make_app: Callable[..., MaosApp]):
    await store.tasks.create("Only task")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        await app.main_screen.reload()
        assert card_ids(app, "assigned") == ["TASK-001"]
    assert (await store.tasks.get("TASK-001")).status is TaskStatus.ASSIGNED
