"""The first paint made without the store (launch on a current SQLite file): the board is
drawn from the stdlib reader, keys pressed before the store opens wait for it, and the
board read once the store is open shows what was committed in between."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.support import PATIENCE, until

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.stdlib.first_read import FirstReader
from maos_tui.tui.app import MaosApp

from .conftest import FIXED_NOW, card_ids


def app_before_store(workspace: Path) -> tuple[MaosApp, asyncio.Event]:
    """The app as launch() makes it for a current database; the store opens once the
    returned event is set."""
    ws = Workspace(workspace)
    url = ws.default_db_url()
    may_open = asyncio.Event()

    async def open_store() -> Store:
        async with asyncio.timeout(PATIENCE):  # a test that failed first must not hang
            await may_open.wait()
        return await Store.open(url)

    app = MaosApp(
        ws,
        load_config(ws),
        first_reader=FirstReader.open(url),
        open_store=open_store,
        start_services=False,
        clock=lambda: FIXED_NOW,
    )
    return app, may_open


async def test_keys_before_the_store_opens_wait_for_it(store: Store, workspace: Path) -> None:
    task = await store.tasks.create("Write the docs")
    app, may_open = app_before_store(workspace)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert app.first_paint_at is not None and app._store is None
        assert card_ids(app, "inbox") == [task.id]  # drawn by the stdlib reader

        await pilot.press("]")  # move to the next column: needs the store
        await pilot.pause()
        assert card_ids(app, "inbox") == [task.id]

        may_open.set()

        async def moved() -> bool:
            stored = await store.tasks.get(task.id)
            return stored.status is TaskStatus.ASSIGNED and card_ids(app, "assigned") == [task.id]

        await until(moved, pause=pilot.pause)


@pytest.mark.parametrize(("keymap", "key"), [("", "q"), ('"app.quit" = "x"', "x")])
async def test_quit_does_not_wait_for_the_store(
    store: Store, workspace: Path, keymap: str, key: str
) -> None:
    await store.tasks.create("Write the docs")
    (workspace / ".maos" / "config.toml").write_text(f"[keymap]\n{keymap}\n")
    app, _never_opens = app_before_store(workspace)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert app._exit and app.return_code == 0
    assert app._store is None


async def test_a_commit_before_the_store_opens_is_shown(store: Store, workspace: Path) -> None:
    first = await store.tasks.create("Write the docs")
    app, may_open = app_before_store(workspace)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert card_ids(app, "inbox") == [first.id]
        # Committed after the first read, before the app's store (and its change watch)
        # exists: only the read made once the store is open can show it.
        late = await store.tasks.create("Review the docs")
        may_open.set()

        async def shown() -> bool:
            return card_ids(app, "inbox") == [first.id, late.id]

        await until(shown, pause=pilot.pause)


async def test_a_reader_that_fails_leaves_the_first_read_to_the_store(
    store: Store, workspace: Path
) -> None:
    task = await store.tasks.create("Write the docs")
    ws = Workspace(workspace)
    reader = FirstReader.open(ws.default_db_url())
    assert reader is not None
    reader.close()  # every read on it now raises sqlite3.ProgrammingError
    app = MaosApp(ws, load_config(ws), store=store, first_reader=reader, start_services=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert app.first_paint_at is not None
        assert card_ids(app, "inbox") == [task.id]
