"""The narrow layout for a phone in portrait (tui/narrow.py): one column at a time,
switched by keys or by tapping the switcher line, every action reachable by clicking."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.command import CommandList
from textual.pilot import Pilot

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.narrow import CURRENT

from .snapshot_app import build_app, seed
from .test_snapshots import provider_keys, settle

__all__ = ["provider_keys"]  # autouse: the seeded LLM agents have their keys

PHONE = (40, 24)
WAIT_SECONDS = 60


async def until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def shown_columns(app) -> list[str]:  # type: ignore[no-untyped-def]
    board = app.main_screen.board
    return [status.value for status, column in board.columns.items() if column.display]


def test_phone_portrait_board(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws")
    # The third column, IN PROGRESS, after `l` twice.
    assert snap_compare(app, terminal_size=PHONE, run_before=settle("l", "l"))


async def test_one_column_at_a_time_switched_by_keys_and_taps(
    store: Store, make_app: Callable[..., MaosApp]
):
    await seed(store)
    app = make_app()
    async with app.run_test(size=PHONE) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert screen.has_class("narrow") and not screen.has_class("too-small")
        first = shown_columns(app)
        assert len(first) == 1
        board = screen.board
        column = board.columns[board.focused_list().status]  # type: ignore[union-attr]
        assert column.has_class(CURRENT) and column.size.width == board.size.width
        await pilot.press("l")
        await pilot.pause()
        second = shown_columns(app)
        assert len(second) == 1 and second != first
        assert screen.switcher.render().plain.startswith(f"◀ {first[0].upper()}")
        # Tapping the left half of the switcher goes back, the right half forward.
        await pilot.click("#column-switcher", offset=(2, 0))
        await pilot.pause()
        assert shown_columns(app) == first
        await pilot.click("#column-switcher", offset=(PHONE[0] - 3, 0))
        await pilot.click("#column-switcher", offset=(PHONE[0] - 3, 0))
        await pilot.pause()
        third = shown_columns(app)
        assert len(third) == 1 and third not in (first, second)


async def test_a_wide_screen_shows_every_column_and_no_switcher(
    store: Store, make_app: Callable[..., MaosApp]
):
    await seed(store)
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        assert not app.main_screen.has_class("narrow")
        assert len(shown_columns(app)) == len(app.main_screen.board.columns) > 1
        assert not app.main_screen.switcher.display
        # Narrowed (a phone turned to portrait): one column; widened again: all of them.
        await pilot.resize_terminal(40, 24)
        await pilot.pause()
        assert len(shown_columns(app)) == 1
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        assert len(shown_columns(app)) == len(app.main_screen.board.columns)


async def test_every_action_is_reachable_by_clicking_the_palette(
    store: Store, make_app: Callable[..., MaosApp]
):
    """No keyboard on a phone: the footer's palette entry opens the command palette, which
    runs a board action (here: move the card to the next column)."""
    await seed(store)
    app = make_app()
    async with app.run_test(size=PHONE) as pilot:
        await pilot.pause()
        board = app.main_screen.board
        task_list = board.focused_list()
        assert task_list is not None
        moved = task_list.task_id
        before = task_list.status
        clicked = await pilot.click("FooterKey.-command-palette")
        assert clicked
        await pilot.pause()
        await pilot.press(*"Move to next column")
        commands = app.screen.query_one(CommandList)

        def found() -> bool:
            option = commands.highlighted_option
            return option is not None and "Move to next column" in str(option.prompt)

        await until(pilot, found, "the palette to offer the move")
        await pilot.press("enter")
        await pilot.pause()
        await app.main_screen.settle_writes()  # a move is drawn first, saved just after
        record = await app.store.tasks.get(moved)
        assert record.status != before


async def test_dialogs_close_by_a_tap_on_their_footer_or_beside_them(
    store: Store, make_app: Callable[..., MaosApp]
):
    """A phone's keyboard has no esc: each dialog's footer shows it first, for a tap; a tap
    beside a dialog without fields does the same, and beside a form loses nothing typed."""
    from textual.widgets import Input
    from textual.widgets._footer import FooterKey

    from maos_tui.tui.screens.pickers import StatusPicker
    from maos_tui.tui.screens.task_form import TaskForm

    await seed(store)
    app = make_app()
    async with app.run_test(size=PHONE) as pilot:
        await pilot.pause()
        await pilot.press("n", *"Half typed")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TaskForm)
        assert await pilot.click(offset=(0, 0))  # the top line, beside the form
        await pilot.pause()
        assert app.screen is form and form.query_one("#title", Input).value == "Half typed"
        cancel = form.query(FooterKey).first()
        assert cancel.action == "cancel" and cancel.region.right <= PHONE[0]
        assert await pilot.click(cancel)
        await pilot.pause()
        assert app.screen is app.main_screen
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, StatusPicker)
        assert await pilot.click(offset=(0, 0))
        await pilot.pause()
        assert app.screen is app.main_screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is not app.main_screen
        (close,) = app.screen.query(FooterKey)
        assert await pilot.click(close)
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_an_empty_workspace_shows_the_welcome_without_a_switcher(
    make_app: Callable[..., MaosApp],
):
    app = make_app()
    async with app.run_test(size=PHONE) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert screen.has_class("narrow") and screen.has_class("welcome")
        assert screen.welcome.display and not screen.switcher.display
