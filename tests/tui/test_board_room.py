"""The board uses the room it has: a title too long for its column goes on to a second
line, and the feed gets the rows the board doesn't need."""

from __future__ import annotations

from collections.abc import Callable

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.widgets.board import FEED_MIN

from .conftest import column
from .probes import screen_text, until

WIDE = (160, 48)
TITLE = "Implement the retry backoff for the scheduler loop"


async def test_a_long_title_wraps_to_a_second_line(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.tasks.create(TITLE, priority=1)
    await store.tasks.move("TASK-001", TaskStatus.FAILED)  # six columns: about 26 cells each
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await until(pilot, lambda: app.main_screen.board.fitted is not None, "the fit")
        failed = column(app, "failed")
        assert failed.size.width < len(f"P1 TASK-001 {TITLE}")
        lines = [line.strip() for line in screen_text(app).splitlines()]
        first = next(i for i, line in enumerate(lines) if line.startswith("P1 TASK-001"))
        # The title goes on after the ID and fills the next line, cut where it must be.
        assert lines[first] == "P1 TASK-001 Implement"  # broken between words
        assert lines[first + 1].startswith("the retry backoff for")
        assert lines[first + 2] == "failed"  # the badge line
        assert failed._heights[0] == 3


async def test_the_feed_takes_the_rows_the_board_does_not_need(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    for n in range(3):
        await store.tasks.create(f"Short {n}")
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        board, feed = app.main_screen.board, app.main_screen.feed
        await until(pilot, lambda: board.fitted == 1 + 3 * 2, "the board to fit its cards")
        await until(pilot, lambda: board.size.height == 7, "the layout")
        # header, agent bar, footer and the board: the rest is the feed's.
        assert feed.size.height == 48 - 3 - 7 - 1  # less its top border
        for n in range(30):  # more than the board can show: it takes all but the feed
            await store.tasks.create(f"More {n}")
        await app.check_changes()
        await until(pilot, lambda: board.fitted is None, "the board to fill")
        await until(pilot, lambda: feed.outer_size.height == FEED_MIN, "the feed to shrink")
        assert board.size.height == 48 - 3 - FEED_MIN
