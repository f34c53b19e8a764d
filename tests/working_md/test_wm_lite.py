"""WORKING.md's rewrite without the store (working_md/lite.py): the file, its state and its
history come out as the store's pass leaves them, and anything the store must do (a hand
edit to merge, a database this reader cannot read) is left untouched for it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from maos_tui.config import Workspace
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.errors import NeedsStore, StoreError
from maos_tui.store.stdlib.connect import sqlite_file
from maos_tui.working_md.lite import rewrite_without_store
from maos_tui.working_md.render import RECENT_ACTIVITY
from maos_tui.working_md.sync import WorkingSync
from tests.working_md.conftest import FIXED_NOW

_DATABASE_LAYER = ("sqlalchemy", "sqlmodel", "pydantic")
# The rewrite without the store reads SQLite files only: elsewhere the store makes the pass.
pytestmark = pytest.mark.sqlite_only


def never() -> bool:
    return False


async def busy_board(store: Store) -> None:
    """Every kind of line the file draws, and more activities than it shows."""
    await store.agents.add("coder", command=["true"], capabilities=["python"])
    await store.agents.add("qa", command=["pytest", "-q"])
    first = await store.tasks.create("Set up the repo", priority=0, labels=["infra"])
    for n, status in enumerate(TaskStatus):
        task = await store.tasks.create(
            f"Part {n} - {status.value}",
            priority=n % 4,
            after=[first.id] if n % 2 else [],
            needs=["python"] if n % 3 else [],
            labels=["docs", "v1"] if n % 2 else [],
            assignees=["coder", "qa"] if n % 2 else ["coder"],
        )
        if status is not TaskStatus.INBOX:
            await store.tasks.move(task.id, status)
        if status is TaskStatus.FAILED:
            async with store.write() as tx:
                await store.tasks.update_fields_in(tx, task.id, last_error="it broke\nat line 2")
        await store.messages.post(task.id, "coder", f"note on part {n}")
    await store.messages.post(first.id, "qa", "@human looks fine")
    hidden = await store.tasks.create("Archived one", assignees=["qa"])
    await store.tasks.archive(hidden.id)
    for n in range(RECENT_ACTIVITY):
        await store.tasks.create(f"Filler {n}", priority=3)


def outcome(ws: Workspace) -> dict[str, object]:
    """Everything a pass leaves behind, without stat details (inodes, times)."""
    state = json.loads((ws.maos_dir / "working.state.json").read_text())
    return {
        "file": ws.working_md.read_bytes(),
        "base": (ws.maos_dir / "working.base.md").read_bytes(),
        "state": (state["sha256"], state["size"], state["pending"]),
        "history": {p.name: p.read_bytes() for p in sorted(ws.history_dir.iterdir())},
    }


def saved(ws: Workspace, into: Path) -> None:
    into.mkdir()
    for name in ("working.state.json", "working.base.md"):
        shutil.copy2(ws.maos_dir / name, into / name)
    shutil.copy2(ws.working_md, into / "WORKING.md")
    shutil.copytree(ws.history_dir, into / "history")


def restored(ws: Workspace, saved_in: Path) -> None:
    for name in ("working.state.json", "working.base.md"):
        shutil.copy2(saved_in / name, ws.maos_dir / name)
    shutil.copy2(saved_in / "WORKING.md", ws.working_md)
    shutil.rmtree(ws.history_dir)
    shutil.copytree(saved_in / "history", ws.history_dir)


def store_sync(store: Store, ws: Workspace) -> WorkingSync:
    # The CLI's settings (local time zone), with the fixed clock of these tests.
    return WorkingSync(store, ws, clock=lambda: FIXED_NOW)


async def lite(store: Store, ws: Workspace) -> list:
    return await rewrite_without_store(ws, store.url, never, clock=lambda: FIXED_NOW)


async def test_the_rewrite_is_the_store_pass_byte_for_byte(
    store: Store, ws: Workspace, tmp_path: Path
) -> None:
    await busy_board(store)
    assert await store_sync(store, ws).sync_once() == []
    await store.tasks.create("Added by a command", assignees=["qa"], after=["TASK-001"])
    await store.tasks.move("TASK-002", TaskStatus.DONE)
    await store.messages.post("TASK-003", "qa", "one more")
    path = sqlite_file(store.url)
    assert path is not None
    with sqlite3.connect(path) as conn:  # details neither reader can parse: shown without
        conn.execute("UPDATE activities SET details = '{oops' WHERE verb = 'posted'")
    saved(ws, tmp_path / "before")

    assert await lite(store, ws) == []
    by_lite = outcome(ws)
    restored(ws, tmp_path / "before")
    assert await store_sync(store, ws).sync_once() == []
    by_store = outcome(ws)

    text = by_store["file"].decode()  # type: ignore[union-attr]
    assert "Added by a command" in text and "Archived one" not in text
    assert "💬" in text and "↳ error: it broke" in text and "@coder @qa" in text
    assert by_lite == by_store
    # Nothing changed since: neither pass writes, both keep `Last Updated`.
    assert await lite(store, ws) == []
    assert outcome(ws) == by_store


async def test_a_first_write_and_an_unchanged_board_agree_too(
    store: Store, ws: Workspace, tmp_path: Path
) -> None:
    await busy_board(store)
    assert not ws.working_md.exists()
    assert await lite(store, ws) == []
    by_lite = outcome(ws)
    saved(ws, tmp_path / "lite")
    ws.working_md.unlink()
    (ws.maos_dir / "working.state.json").unlink()
    shutil.rmtree(ws.history_dir)
    ws.history_dir.mkdir()
    assert await store_sync(store, ws).sync_once() == []
    assert outcome(ws) == by_lite


async def assert_left_to_the_store(store: Store, ws: Workspace) -> None:
    before = outcome(ws)
    with pytest.raises(NeedsStore):
        await lite(store, ws)
    assert outcome(ws) == before


async def test_a_hand_edit_is_left_to_the_store(store: Store, ws: Workspace, replace) -> None:
    await busy_board(store)
    assert await store_sync(store, ws).sync_once() == []
    replace(ws.working_md, "Set up the repo", "Set up the monorepo")
    await assert_left_to_the_store(store, ws)
    assert await store_sync(store, ws).sync_once() == []
    assert (await store.tasks.get("TASK-001")).title == "Set up the monorepo"


async def test_a_new_line_without_an_id_is_left_to_the_store(
    store: Store, ws: Workspace, replace
) -> None:
    await store.tasks.create("Write the docs")
    assert await store_sync(store, ws).sync_once() == []
    replace(ws.working_md, "### INBOX\n", "### INBOX\n- Typed by hand\n")
    await assert_left_to_the_store(store, ws)


async def test_a_pending_line_is_left_to_the_store(store: Store, ws: Workspace, replace) -> None:
    """A line that failed is tried again on every pass, edited or not."""
    await store.tasks.create("Write the docs")
    assert await store_sync(store, ws).sync_once() == []
    replace(ws.working_md, "- [TASK-001] Write the docs", "- [TASK-001] @nobody - Write the docs")
    problems = await store_sync(store, ws).sync_once()
    assert [p.text for p in problems] == ["- [TASK-001] @nobody - Write the docs"]
    await store.tasks.create("Added by a command")
    await assert_left_to_the_store(store, ws)


async def test_a_database_of_another_schema_is_left_to_the_store(
    store: Store, ws: Workspace
) -> None:
    await store.tasks.create("Write the docs")
    assert await store_sync(store, ws).sync_once() == []
    await store.tasks.create("Added by a command")
    path = sqlite_file(store.url)
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE maos_meta SET value = '1' WHERE key = 'schema_version'")
    await assert_left_to_the_store(store, ws)


async def test_a_database_this_reader_cannot_open_is_left_to_the_store(
    store: Store, ws: Workspace, tmp_path: Path
) -> None:
    assert await store_sync(store, ws).sync_once() == []
    before = outcome(ws)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    for url in (
        f"sqlite+aiosqlite:///{junk}",
        f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}",
        "postgresql+asyncpg://me@localhost/maos",
    ):
        with pytest.raises(NeedsStore):
            await rewrite_without_store(ws, url, never)
        assert outcome(ws) == before


async def test_a_failed_read_is_the_store_error_the_cli_reports(
    store: Store, ws: Workspace
) -> None:
    assert await store_sync(store, ws).sync_once() == []
    await store.tasks.create("Added by a command")
    path = sqlite_file(store.url)
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE messages")
    before = outcome(ws)
    with pytest.raises(StoreError, match="no such table"):
        await lite(store, ws)
    assert outcome(ws) == before


async def test_a_sync_that_takes_over_is_left_the_pass(store: Store, ws: Workspace) -> None:
    assert await store_sync(store, ws).sync_once() == []
    await store.tasks.create("Added by a command")
    before = outcome(ws)
    async with store_sync(store, ws).files.lock():  # another process's pass
        problems = await rewrite_without_store(ws, store.url, lambda: True)
    assert problems == []
    assert outcome(ws) == before


_PROBE = """
import asyncio, json, sys
from pathlib import Path
from maos_tui.config import Workspace
from maos_tui.working_md.lite import rewrite_without_store

problems = asyncio.run(rewrite_without_store(Workspace(Path(sys.argv[1])), sys.argv[2], lambda: False))
loaded = {m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "sqlmodel", "pydantic"}
print(json.dumps({"problems": len(problems), "loaded": sorted(loaded)}))
"""


async def test_the_rewrite_imports_no_database_layer(store: Store, ws: Workspace) -> None:
    await busy_board(store)
    assert await store_sync(store, ws).sync_once() == []
    await store.tasks.create("Added by a command")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ws.root), store.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"problems": 0, "loaded": []}
    assert "Added by a command" in ws.working_md.read_text()
