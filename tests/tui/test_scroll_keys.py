"""Every screen scrolls with the keys the help lists (the "Scroll" group of tui/keys.py)."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widget import Widget

from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.collab import DocumentScreen, NotificationsScreen
from maos_tui.tui.screens.detail import TaskDetailScreen
from maos_tui.tui.screens.help import HelpScreen
from maos_tui.tui.screens.pickers import StatusPicker
from maos_tui.tui.widgets.scrolling import KeyedList, ScrollBody

from .probes import until

SIZE = (100, 24)
DOWN_KEYS = ("down", "j", "pagedown", "space", "ctrl+d")
UP_KEYS = ("up", "k", "pageup", "ctrl+u")


async def scrolls(pilot: Pilot[object], body: Widget) -> None:
    """Each key moves `body` the way it says, from a place it can move from."""
    for key in DOWN_KEYS:
        before = body.scroll_y
        await pilot.press(key)
        await until(pilot, lambda before=before: body.scroll_y > before, f"{key} to scroll down")
    await pilot.press("end")
    await until(pilot, lambda: body.scroll_y == body.max_scroll_y, "end")
    for key in UP_KEYS:
        before = body.scroll_y
        await pilot.press(key)
        await until(pilot, lambda before=before: body.scroll_y < before, f"{key} to scroll up")
    await pilot.press("home")
    await until(pilot, lambda: body.scroll_y == 0, "home")
    await pilot.press("G")
    await until(pilot, lambda: body.scroll_y == body.max_scroll_y, "G")
    await pilot.press("g")
    await until(pilot, lambda: body.scroll_y == 0, "g")


async def test_task_detail_scrolls_from_the_keyboard(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("A task with a long history")
    for n in range(40):
        await store.tasks.edit(task.id, priority=n % 4)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
        body = app.screen.query_one(ScrollBody)
        await until(pilot, lambda: body.max_scroll_y > 20, "the history")
        assert app.focused is body
        await scrolls(pilot, body)


async def test_document_and_help_scroll_from_the_keyboard(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("Write the spec")
    lines = "\n\n".join(f"Paragraph {n}." for n in range(60))
    doc = await store.documents.write(task.id, "Spec", lines, HUMAN)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(DocumentScreen(doc.id))
        body = app.screen.query_one(ScrollBody)
        await until(pilot, lambda: body.max_scroll_y > 20, "the document's text")
        await scrolls(pilot, body)
        await pilot.press("escape", "question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await scrolls(pilot, app.screen.query_one(ScrollBody))


async def test_lists_move_with_the_scroll_keys(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("bot", command=["true"])
    task = await store.tasks.create("Talk it over")
    for n in range(30):
        await store.messages.post(task.id, "bot", f"@human note {n}")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the list")
        notes = app.screen.query_one(KeyedList)
        await pilot.press("j", "j")
        assert notes.highlighted == 2
        await pilot.press("k")
        assert notes.highlighted == 1
        await pilot.press("space")
        assert notes.highlighted > 2 and notes.scroll_y > 0
        await pilot.press("G")
        assert notes.highlighted == 29
        await pilot.press("g")
        assert notes.highlighted == 0 and notes.scroll_y == 0

        # The "Move to…" dialog.
        await pilot.press("escape", "m")
        await until(pilot, lambda: isinstance(app.screen, StatusPicker), "the move dialog")
        statuses = list(TaskStatus)
        await pilot.press("j", "j", "k")
        picker = app.screen.query_one(KeyedList)
        assert picker.highlighted == statuses.index(TaskStatus.ASSIGNED)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is app.main_screen, "the move")
    await app.main_screen.settle_writes()
    assert (await store.tasks.get(task.id)).status is TaskStatus.ASSIGNED


async def test_the_feed_scrolls_from_the_keyboard(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("Busy")
    for n in range(30):
        await store.tasks.edit(task.id, priority=n % 4)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        feed = app.main_screen.feed
        await until(pilot, lambda: app.main_screen.filled, "the feed's full history")
        assert feed.max_scroll_y > 10
        feed.focus()  # tab reaches it after the columns
        await until(pilot, lambda: feed.scroll_y == feed.max_scroll_y, "the feed to follow")
        await pilot.press("k")
        await until(pilot, lambda: feed.scroll_y < feed.max_scroll_y, "k to scroll up")
        await pilot.press("g")
        await until(pilot, lambda: feed.scroll_y == 0, "g")
