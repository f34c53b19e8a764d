"""Thread and composer, documents, notifications and search in the app, checked in the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from maos_tui.collab import NEEDS_HUMAN
from maos_tui.domain import HUMAN
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.collab import DocumentScreen, NotificationsScreen, SearchScreen
from maos_tui.tui.screens.detail import TaskDetailScreen
from maos_tui.tui.widgets.header import StatusHeader

SIZE = (100, 40)


def text_of(app: MaosApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def header(app: MaosApp) -> str:
    return str(app.main_screen.query_one(StatusHeader).render())


async def test_human_notifications_toast_count_and_screen(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    task = await store.tasks.create("Export the report")
    await store.messages.post(task.id, "coder", "@human CSV or JSON?", type="question")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        assert any("coder mentioned you in the thread of TASK-001" in t for t in toasts)
        assert "✉ 1 unread (N)" in header(app)
        (note,) = await store.notifications.list()
        assert note.delivered_at is not None and note.read_at is None

        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, NotificationsScreen)
        assert "1 unread" in text_of(app, "#notify-title")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == task.id
        assert await store.notifications.unread_count() == 0
        await pilot.press("escape", "escape")
        await app.check_changes()
        await pilot.pause()
        assert app.screen is app.main_screen
        assert "unread" not in header(app)

    # A second start shows no toast again: each notification is delivered once.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not any("mentioned you" in n.message for n in app._notifications)


async def test_notifications_read_all(store: Store, make_app: Callable[..., MaosApp]) -> None:
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    task = await store.tasks.create("Export the report")
    for n in range(2):
        await store.messages.post(task.id, "coder", f"@human note {n}")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("N")
        await pilot.pause()
        assert app.screen.query_one(OptionList).option_count == 2
        await pilot.press("r")
        await pilot.pause()
        assert "0 unread" in text_of(app, "#notify-title")
    assert await store.notifications.unread_count() == 0


async def test_composer_posts_and_warns_about_unknown_names(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    task = await store.tasks.create("Export the report")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TaskDetailScreen(task.id))
        await pilot.pause()
        await pilot.press("c")
        assert isinstance(app.focused, Input)
        await pilot.press("enter")  # empty: refused
        await pilot.pause()
        assert await store.messages.list(task.id) == []
        await pilot.press(*"ask @coder and @nobody")
        await pilot.pause()
        assert "@nobody is not an agent" in text_of(app, "#composer-warning")
        await pilot.press("enter")
        await pilot.pause()
        (posted,) = await store.messages.list(task.id)
        assert (posted.author, posted.text) == (HUMAN, "ask @coder and @nobody")
        assert "ask @coder and @nobody" in str(app.screen.query_one("#thread", Static).render())
        assert app.screen.query_one("#composer", Input).value == ""
    assert len(await store.notifications.pending_for("coder")) == 1


async def test_document_viewer_steps_versions_diffs_and_edits(
    store: Store, make_app: Callable[..., MaosApp], tmp_path: Path
) -> None:
    task = await store.tasks.create("Export the report")
    await store.documents.write(task.id, "Format notes", "# Notes\nold line\n", HUMAN)
    doc = await store.documents.write(task.id, "Format notes", "# Notes\nnew line\n", HUMAN)
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\nwith open(sys.argv[1], 'a') as f:\n    f.write('added in the editor\\n')\n"
    )
    app = make_app(env={"EDITOR": f"{sys.executable} {editor}"})
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TaskDetailScreen(task.id))
        await pilot.pause()
        app.screen.query_one("#documents", OptionList).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DocumentScreen)
        assert "version 2 of 2" in text_of(app, "#doc-title")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert "version 1 of 2" in text_of(app, "#doc-title")
        await pilot.press("left_square_bracket")  # there is no version 0
        await pilot.press("right_square_bracket", "d")
        await pilot.pause()
        diff = str(app.screen.query_one("#doc-diff", Static).render())
        assert "-old line" in diff and "+new line" in diff
        await pilot.press("E")
        await pilot.pause()
        assert "version 3 of 3" in text_of(app, "#doc-title")
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
    latest = await store.documents.get(doc.id)
    assert latest.content == "# Notes\nnew line\nadded in the editor\n"


async def test_search_from_the_detail_screen_opens_the_hit(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    first = await store.tasks.create("Export the report")
    other = await store.tasks.create("Tokenizer rewrite")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TaskDetailScreen(first.id))
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"tokeni", "enter")
        await pilot.pause()
        assert app.screen.query_one("#search-results", OptionList).option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == other.id


async def test_needs_human_badge_on_the_card(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("Export the report")
    async with store.write() as tx:
        await store.tasks.update_fields_in(tx, task.id, status_reason=NEEDS_HUMAN)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        column = app.main_screen.query_one("#list-inbox", OptionList)
        assert "needs human" in str(column.get_option_at_index(0).prompt)


async def test_command_palette_jumps_to_a_task_by_id_or_title(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.tasks.create("Export the report")
    wanted = await store.tasks.create("Tokenizer rewrite")
    for query in ("task-2", "tokeniz"):
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*query)
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TaskDetailScreen), query
            assert app.screen.task_id == wanted.id
