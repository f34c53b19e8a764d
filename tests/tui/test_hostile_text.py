"""Text that users, agents and files wrote is drawn as plain text: markup in it neither
crashes the app nor acts, and its control characters reach the screen escaped."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import DataTable, Input

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.collab import NotificationsScreen
from maos_tui.tui.screens.detail import TaskDetailScreen
from maos_tui.tui.screens.task_form import TaskForm

from .conftest import column
from .probes import click_actions, screen_text, until_shown

SIZE = (120, 40)
CLOSING = "@human [/]"
CLICK = "@human [@click=app.quit]x[/]"
# OSC 52 writes the clipboard, OSC 0 retitles the pane, CSI 2J blanks the screen; \x9b is
# the one-byte C1 form of CSI.
HOSTILE = "Clip\x1b]52;c;aGk=\x07 title\x1b]0;pwned\x07 wipe\x1b[2J\x9b1m"
RAW = ("\x1b", "\x07", "\x9b")


def assert_no_raw_controls(app: MaosApp) -> str:
    text = screen_text(app)
    assert not [c for c in RAW if c in text], f"raw control characters on screen:\n{text!r}"
    return text


async def test_markup_in_a_notification_neither_crashes_nor_acts(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["true"])
    task = await store.tasks.create("Export the report")
    await store.messages.post(task.id, "bot", CLOSING)
    await store.messages.post(task.id, "bot", CLICK)
    for start in range(2):  # unread, they are listed (and counted) again at every start
        app = make_app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            if start == 0:  # toasted once
                await until_shown(pilot, "[/]")
            await until_shown(pilot, "2 unread")
            assert app.is_running and app.return_code is None
            assert "app.quit" not in click_actions(app)

            await pilot.press("N")
            await pilot.pause()
            assert isinstance(app.screen, NotificationsScreen)
            assert "[@click=app.quit]x[/]" in screen_text(app)
            assert "app.quit" not in click_actions(app)

            app.push_screen(TaskDetailScreen(task.id))
            await pilot.pause()
            text = screen_text(app)
            assert "[@click=app.quit]x[/]" in text and "@human [/]" in text
            assert "app.quit" not in click_actions(app)
            assert app.is_running


async def test_markup_in_a_title_is_shown_in_cards_detail_forms_and_dialogs(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    title = "[b]bold?[/b] [@click=app.quit]quit[/] [/]"
    task = await store.tasks.create(title, description=f"Body {title}")
    await store.tasks.create("child [/]", parent=task.id)
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert title in str(column(app, "inbox").options[0].prompt)
        await pilot.press("x")  # the cancel confirmation quotes the title
        await pilot.pause()
        assert "[@click=app.quit]quit[/]" in screen_text(app)
        assert "app.quit" not in click_actions(app)
        await pilot.press("n")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen)
        text = screen_text(app)
        assert title in text and f"Body {title}" in text and "child [/]" in text
        assert "app.quit" not in click_actions(app)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TaskForm)
        app.screen.query_one("#assignees", Input).value = "[/]"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "unknown agent [/]" in screen_text(app)
        assert app.is_running


async def test_control_characters_reach_the_screen_escaped(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["true"])
    task = await store.tasks.create(HOSTILE, description=f"# Notes\n{HOSTILE}")
    await store.messages.post(task.id, "bot", f"@human {HOSTILE}")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until_shown(pilot, "mentioned you")
        board = assert_no_raw_controls(app)  # cards, feed and the toast
        assert "Clip\\x1b]52;c;aGk=\\x07" in board
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen)
        detail = assert_no_raw_controls(app)  # summary, description, history, thread
        assert detail.count("\\x1b[2J") >= 3
        await pilot.press("e")
        await pilot.pause()
        assert_no_raw_controls(app)
        form = app.screen
        assert isinstance(form, TaskForm)
        assert form.query_one("#title", Input).value.startswith("Clip\\x1b]52")
        # Saving the form unchanged keeps the stored text, not the escaped one shown.
        form.query_one("#priority", Input).value = "1"
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = await store.tasks.get(task.id)
        assert (saved.title, saved.priority) == (HOSTILE, 1)
        assert saved.description == f"# Notes\n{HOSTILE}"
        assert isinstance(app.screen, TaskDetailScreen)
        assert_no_raw_controls(app)
        await pilot.press("N")
        await pilot.pause()
        assert_no_raw_controls(app)


async def test_an_old_form_error_goes_once_the_field_changes(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "✗ title is empty" in screen_text(app)
        await pilot.press("A")
        await pilot.pause()
        assert "title is empty" not in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [t.title for t in await store.tasks.list()] == ["A"]


async def test_the_palette_shows_a_title_with_markup_as_typed(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("Tokenizer [/] [@click=app.quit]rewrite[/]")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"tokeniz")
        await until_shown(pilot, "Tokenizer [/] [@click=app.quit]rewrite[/]")
        assert "app.quit" not in click_actions(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == task.id


async def test_the_agents_screen_shows_commands_as_typed(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["[@click=app.quit]go[/]", "[/]", HOSTILE])
    app = make_app()
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await pilot.press("A")
        await until_shown(pilot, "'[@click")  # the column is narrow; markup would hide it
        table = app.screen.query_one(DataTable)
        command = str(table.get_row("bot")[2])
        assert command.startswith("'[@click=app.quit]go[/]' '[/]' 'Clip\\x1b]52"), command
        assert_no_raw_controls(app)
        assert "app.quit" not in click_actions(app)
        assert app.is_running
