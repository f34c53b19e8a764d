"""A PostgreSQL server that stops while the board is open: the board keeps its cards and
says "database unavailable, retrying" under the header; a move made meanwhile waits and is
saved once the server is back; then the line goes, a notice says so, and a change another
store made meanwhile shows. Nothing committed before the stop is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.support import PATIENCE, until

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui import db_status
from maos_tui.tui.app import MaosApp
from tests.pg_server import PASSWORD, PgServer

from .conftest import FIXED_NOW, card_ids

pytestmark = pytest.mark.postgresql

SIZE = (120, 36)
# pg_ctl stops and starts a server in seconds; under load, allow many times that.
SERVER_PATIENCE = 90.0


@pytest.fixture
async def pg_store(own_pg_server: PgServer) -> AsyncIterator[Store]:
    store = await Store.open(own_pg_server.url("postgres"))
    yield store
    await store.close()


def banner_text(app: MaosApp) -> str:
    return str(app.main_screen.db_banner.render())


def banner_shown(app: MaosApp) -> bool:
    return app.main_screen.has_class("db-down") and "database unavailable, retrying" in (
        banner_text(app)
    )


def messages(app: MaosApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_the_board_rides_out_a_stopped_server(
    workspace: Path, own_pg_server: PgServer, pg_store: Store
) -> None:
    await pg_store.tasks.create("Written before the stop")  # TASK-001
    await pg_store.tasks.create("Moved during the stop")  # TASK-002
    ws = Workspace(workspace)
    app = MaosApp(
        ws, load_config(ws), store=pg_store, start_services=False, clock=lambda: FIXED_NOW
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: card_ids(app, "inbox") == ["TASK-001", "TASK-002"], pause=pilot.pause)
        await asyncio.to_thread(own_pg_server.stop)
        try:
            await until(
                lambda: banner_shown(app),
                timeout=SERVER_PATIENCE,
                pause=pilot.pause,
                message="no 'database unavailable' line after the server stopped",
            )
            assert PASSWORD not in banner_text(app)
            # The board keeps what it read.
            assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
            await pilot.press("j", "right_square_bracket")
            await until(
                lambda: "1 change waiting to be saved" in banner_text(app),
                pause=pilot.pause,
                message="the move made during the outage is not said to wait",
            )
            assert card_ids(app, "assigned") == ["TASK-002"]
        finally:
            await asyncio.to_thread(own_pg_server.start_again)
        other = await Store.open(own_pg_server.url("postgres"))
        try:
            await other.tasks.create("Added by another store meanwhile")  # TASK-003
        finally:
            await other.close()
        await until(
            lambda: not app.main_screen.has_class("db-down"),
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the 'database unavailable' line stayed after the server came back",
        )
        await until(
            lambda: card_ids(app, "inbox") == ["TASK-001", "TASK-003"],
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the other store's task did not show after the return",
        )
        assert any("The database is back" in m for m in messages(app)), messages(app)
        await app.main_screen.settle_writes()
        assert card_ids(app, "assigned") == ["TASK-002"]
        assert (await pg_store.tasks.get("TASK-002")).status is TaskStatus.ASSIGNED
        assert (await pg_store.tasks.get("TASK-001")).title == "Written before the stop"
        assert not any("Not saved" in m for m in messages(app)), messages(app)


async def test_a_move_not_saved_in_time_is_put_back_and_said(
    workspace: Path,
    own_pg_server: PgServer,
    pg_store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An outage longer than a move may wait: the card goes back, and both a notice and
    the line under the header say the move was not saved."""
    monkeypatch.setattr(db_status, "WAIT_SECONDS", 2.0)
    await pg_store.tasks.create("Moved during the stop")  # TASK-001
    ws = Workspace(workspace)
    app = MaosApp(
        ws, load_config(ws), store=pg_store, start_services=False, clock=lambda: FIXED_NOW
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: card_ids(app, "inbox") == ["TASK-001"], pause=pilot.pause)
        await asyncio.to_thread(own_pg_server.stop)
        try:
            await until(lambda: banner_shown(app), timeout=SERVER_PATIENCE, pause=pilot.pause)
            await pilot.press("right_square_bracket")
            await until(
                lambda: "NOT SAVED: TASK-001 not moved to assigned" in banner_text(app),
                timeout=PATIENCE,
                pause=pilot.pause,
                message="the line never said the move was not saved",
            )
            await pilot.pause()
            assert card_ids(app, "inbox") == ["TASK-001"]
            assert card_ids(app, "assigned") == []
            assert any(n.title == "TASK-001 not moved to assigned" for n in app._notifications)
        finally:
            await asyncio.to_thread(own_pg_server.start_again)
        await until(
            lambda: not app.main_screen.has_class("db-down"),
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the 'database unavailable' line stayed after the server came back",
        )
        assert (await pg_store.tasks.get("TASK-001")).status is TaskStatus.INBOX


async def test_the_boards_scheduler_carries_on_after_the_return(
    workspace: Path, own_pg_server: PgServer, pg_store: Store
) -> None:
    """The scheduler the board hosts starts nothing while the server is down (its passes
    fail) and runs new work once it is back; nothing done before runs again."""
    await pg_store.agents.add("builder", command=["echo", "built"])
    await pg_store.tasks.create("Done before the stop", assignees=["builder"])  # TASK-001
    ws = Workspace(workspace)
    app = MaosApp(ws, load_config(ws), store=pg_store, clock=lambda: FIXED_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            lambda: card_ids(app, "done") == ["TASK-001"],
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the board's scheduler did not run TASK-001",
        )
        await asyncio.to_thread(own_pg_server.stop)
        try:
            await until(lambda: banner_shown(app), timeout=SERVER_PATIENCE, pause=pilot.pause)
            assert app.scheduler_state == "waiting for the database"
            assert "scheduler waiting for the database" in str(app.main_screen.header.render())
        finally:
            await asyncio.to_thread(own_pg_server.start_again)
        other = await Store.open(own_pg_server.url("postgres"))
        try:
            await other.tasks.create("Added after the return", assignees=["builder"])
        finally:
            await other.close()
        await until(
            lambda: card_ids(app, "done") == ["TASK-002", "TASK-001"],
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the board's scheduler did not run the task added after the return",
        )
        await until(
            lambda: not app.main_screen.has_class("db-down"),
            timeout=SERVER_PATIENCE,
            pause=pilot.pause,
            message="the 'database unavailable' line stayed after the server came back",
        )
        assert app.scheduler_state == "running"
    for task_id in ("TASK-001", "TASK-002"):
        assert len(await pg_store.runs.for_task(task_id)) == 1, task_id


async def test_quitting_during_an_outage_gives_up_a_waiting_move_and_keeps_it_to_say(
    workspace: Path, own_pg_server: PgServer, pg_store: Store
) -> None:
    """Quitting does not wait for the server: the move still waiting is given up, and kept
    for `maos-tui` to print once the screen is restored (tui/launch.py)."""
    await pg_store.tasks.create("Moved, then quit")  # TASK-001
    ws = Workspace(workspace)
    app = MaosApp(
        ws, load_config(ws), store=pg_store, start_services=False, clock=lambda: FIXED_NOW
    )
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: card_ids(app, "inbox") == ["TASK-001"], pause=pilot.pause)
            await asyncio.to_thread(own_pg_server.stop)
            await until(lambda: banner_shown(app), timeout=SERVER_PATIENCE, pause=pilot.pause)
            await pilot.press("right_square_bracket")
            await until(lambda: "waiting to be saved" in banner_text(app), pause=pilot.pause)
            quit_at = asyncio.get_running_loop().time()
            await pilot.press("q")
        assert asyncio.get_running_loop().time() - quit_at < db_status.WAIT_SECONDS
        assert app.db_status.unsaved_at_exit == ["TASK-001 not moved to assigned"]
    finally:
        await asyncio.to_thread(own_pg_server.start_again)
    assert (await pg_store.tasks.get("TASK-001")).status is TaskStatus.INBOX
