"""How the board follows the store without reloading everything: own changes re-read only
the columns they touch, other processes' changes reload, and redraws skip what is unchanged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fakes.support import until

import maos_tui.tui.board_data as board_data
import maos_tui.tui.screens.main_board as main_board
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.board_data import PAGE
from maos_tui.tui.widgets.board import MORE_ID, TaskList
from maos_tui.tui.widgets.footer import KeyFooter

from .conftest import card_ids, column


class Reads:
    """Counts full board loads and which columns were re-read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = 0
        self.columns: list[TaskStatus] = []
        load_board, load_columns = main_board.load_board, board_data.load_columns

        async def counting_board(*args: Any, **kwargs: Any) -> Any:
            self.full += 1
            return await load_board(*args, **kwargs)

        async def counting_columns(view: Any, data: Any, statuses: Any, *rest: Any):
            self.columns.extend(statuses)
            return await load_columns(view, data, statuses, *rest)

        # Full loads through the screen's name for it; column re-reads wherever made.
        monkeypatch.setattr(main_board, "load_board", counting_board)
        monkeypatch.setattr(board_data, "load_columns", counting_columns)


async def test_own_moves_reread_only_their_columns_and_refill_the_window(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(PAGE + 20):
        await store.tasks.create(f"task {n}")
    app = make_app()
    reads = Reads(monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: app.main_screen.filled, pause=pilot.pause)
        assert reads.full == 2  # the first paint's short windows, then the full pages
        reads.columns.clear()
        first = card_ids(app, "inbox")[:3]
        # The watcher is held while the three moves commit, so it sees them as one batch:
        # on a loaded machine a check could otherwise land between two moves, see a commit
        # its events do not cover yet and (rightly) reload everything.
        await until(lambda: not app._checking, pause=pilot.pause)
        app._checking = True
        for task_id in first:
            await store.tasks.move(task_id, TaskStatus.ASSIGNED)
        app._checking = False
        await until(lambda: card_ids(app, "assigned") == first, pause=pilot.pause)
        # The inbox window is refilled from the store, not left three cards short.
        inbox = card_ids(app, "inbox")
        assert len(inbox) == PAGE + 1 and inbox[-1] == MORE_ID
        assert not set(first) & set(inbox)
        assert reads.full == 2
        assert set(reads.columns) == {TaskStatus.INBOX, TaskStatus.ASSIGNED}


async def test_blocked_badge_follows_an_own_change_to_its_dependency(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    first = await store.tasks.create("first")
    second = await store.tasks.create("second", after=[first.id])
    await store.tasks.move(second.id, TaskStatus.REVIEW)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        review = column(app, "review")
        assert "blocked" in str(review.get_option_at_index(0).prompt)
        await store.tasks.move(first.id, TaskStatus.DONE)
        await until(
            lambda: "blocked" not in str(review.get_option_at_index(0).prompt), pause=pilot.pause
        )


async def test_a_write_from_elsewhere_between_own_changes_reloads_everything(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = await store.tasks.create("mine")
    app = make_app()
    reads = Reads(monkeypatch)
    # A second store is what another process is: its commits reach this bus never.
    other = await Store.open(store.url)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            theirs = await other.tasks.create("theirs")
            await store.tasks.move(mine.id, TaskStatus.REVIEW)
            await until(lambda: card_ids(app, "inbox") == [theirs.id], pause=pilot.pause)
            assert card_ids(app, "review") == [mine.id]
            assert reads.full >= 2
    finally:
        await other.close()


async def test_a_growing_column_gets_its_scrollbar(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.tasks.create("only one")
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        inbox = column(app, "inbox")
        assert not inbox.show_vertical_scrollbar
        for n in range(30):
            await store.tasks.create(f"more {n}")
        await until(lambda: inbox.option_count == 31, pause=pilot.pause)
        await pilot.pause()
        assert inbox.show_vertical_scrollbar
        assert (
            inbox.max_scroll_y == inbox.virtual_size.height - inbox.scrollable_content_region.height
        )
        await pilot.press("G")
        await pilot.pause()
        assert inbox.task_id == card_ids(app, "inbox")[-1]
        assert inbox.scroll_y == inbox.max_scroll_y


async def test_footer_keeps_its_keys_while_the_focus_moves_between_columns(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.tasks.create("a task")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        footer = app.main_screen.query_one(KeyFooter)
        await pilot.pause()
        keys = list(footer.children)
        assert keys
        await pilot.press("l", "l", "h")
        await pilot.pause()
        assert list(footer.children) == keys  # the same widgets: nothing was re-mounted
        app.main_screen.feed.focus()  # the feed has other keys than a column
        await pilot.pause()
        assert list(footer.children) != keys


def count_lines_drawn(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """From now on, how many lines each board column draws."""
    drawn: Counter[str] = Counter()
    render_line = TaskList.render_line

    def counting(self: TaskList, y: int) -> Any:
        drawn[self.status.value] += 1
        return render_line(self, y)

    monkeypatch.setattr(TaskList, "render_line", counting)
    return drawn


async def test_moving_between_columns_redraws_the_cursors_not_the_columns(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(40):
        task = await store.tasks.create(f"task {n}")
        if n % 2:
            await store.tasks.move(task.id, TaskStatus.ASSIGNED)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: app.main_screen.filled, pause=pilot.pause)
        await pilot.pause()
        drawn = count_lines_drawn(monkeypatch)
        await pilot.press("l")
        await pilot.pause()
        assert app.focused is column(app, "assigned")
        # Two lines of the card under each cursor: its look with or without focus.
        assert drawn == {"inbox": 2, "assigned": 2}


async def test_a_moved_card_leaves_the_lines_above_it_as_they_were(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        await store.tasks.create(f"task {n}")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: app.main_screen.filled, pause=pilot.pause)
        inbox = column(app, "inbox")
        await pilot.press(*"jjjjj")
        await pilot.pause()
        drawn = count_lines_drawn(monkeypatch)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        # The five two-line cards above the moved one stay; the lines below move up.
        assert drawn["inbox"] == inbox.scrollable_content_region.height - 10
