"""The header counts the database's live scheduler workers, beyond the app's own."""

from __future__ import annotations

from collections.abc import Callable

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.widgets.header import StatusHeader

SIZE = (120, 30)


def header(app: MaosApp) -> str:
    return str(app.main_screen.query_one(StatusHeader).render())


async def test_the_header_counts_live_workers(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.main_screen.reload()
        await pilot.pause()
        assert "worker" not in header(app)

        await store.workers.register("build-box", "box", 11, interval=60)
        await store.workers.register("laptop", "lap", 12, interval=60)
        await app.main_screen.reload()
        await pilot.pause()
        assert "scheduler off · 2 workers" in header(app)

        await store.workers.stop("laptop")
        await app.main_screen.reload()
        await pilot.pause()
        assert "scheduler off · 1 worker " in header(app)

        await store.workers.stop("build-box")
        await app.main_screen.reload()
        await pilot.pause()
        assert "worker" not in header(app)
