"""Cancelled tasks have a column, like failed ones: shown while it holds tasks, found by
`status:cancelled`, and `r` sends one back to the inbox."""

from __future__ import annotations

from collections.abc import Callable

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.widgets.header import StatusHeader

from .conftest import card_ids, column
from .probes import until

SIZE = (140, 36)


def shown_columns(app: MaosApp) -> list[str]:
    return [status.value for status in app.main_screen.board.columns]


async def test_cancelled_column_filter_and_retry(store: Store, make_app: Callable[..., MaosApp]):
    for title in ("Write the parser", "Drop the old API", "Ship it"):
        await store.tasks.create(title)
    await store.tasks.cancel("TASK-002")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown_columns(app)[-1] == "cancelled"
        assert card_ids(app, "cancelled") == ["TASK-002"]
        assert "cancelled 1" in str(app.main_screen.query_one(StatusHeader).render())

        # FAILED appearing later still goes before CANCELLED, and keys follow that order.
        await store.tasks.move("TASK-003", TaskStatus.FAILED)
        await app.check_changes()
        await until(pilot, lambda: "failed" in shown_columns(app), "the failed column")
        assert shown_columns(app)[-2:] == ["failed", "cancelled"]
        await pilot.press(*"lllll")
        assert app.focused is column(app, "failed")
        await pilot.press("l")
        assert app.focused is column(app, "cancelled")

        await pilot.press("slash", *"status:cancelled", "enter")
        await until(pilot, lambda: card_ids(app, "inbox") == [], "the filter")
        assert card_ids(app, "cancelled") == ["TASK-002"]
        await pilot.press("escape")
        await until(pilot, lambda: card_ids(app, "inbox") == ["TASK-001"], "the filter cleared")

        app.main_screen.board.focus_task(TaskStatus.CANCELLED, "TASK-002")
        await pilot.press("r")
        await until(pilot, lambda: "cancelled" not in shown_columns(app), "the column to go")
        assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
    assert (await store.tasks.get("TASK-002")).status is TaskStatus.INBOX
