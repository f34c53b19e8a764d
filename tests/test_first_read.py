"""The board's first paint without SQLAlchemy (store/stdlib/first_read.py): the generated SQL is
the store's own, the reader builds the records a store read builds, and it stays away
from any database it cannot read safely."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.store import Store
from maos_tui.store.engine import sqlite_path
from maos_tui.store.stdlib.connect import sqlite_file
from maos_tui.store.stdlib.first_read import FirstReader
from maos_tui.tui.board_data import first_board, load_board, read_feed


async def busy_board(store: Store) -> None:
    """A board with every kind of value the cards and the header show."""
    await store.agents.add("coder", model="openai/gpt-4o-mini", capabilities=["python"])
    await store.agents.add("qa", command=["pytest", "-q"])
    first = await store.tasks.create("Set up the repo", priority=0)
    for n in range(4):
        await store.tasks.create(
            f"Write part {n}",
            priority=n % 4,
            after=[first.id],
            needs=["python"],
            labels=["docs", "v1"],
            assignees=["coder"] if n % 2 else [],
            due_at=datetime(2025, 7, 1, 12, 30, 15, 123456, tzinfo=UTC),
        )
    for n in range(3):
        done = await store.tasks.create(f"Shipped {n}")
        await store.tasks.move(done.id, TaskStatus.DONE)
    failed = await store.tasks.create("Flaky build")
    await store.tasks.move(failed.id, TaskStatus.FAILED)
    hidden = await store.tasks.create("Archived one")
    await store.tasks.archive(hidden.id)
    running = await store.tasks.create("Being worked on", assignees=["coder"])
    async with store.write() as tx:
        finished = await store.runs.start_in(tx, running.id, "coder")
        await store.runs.finish_in(tx, finished, "failed", "boom")
        await store.runs.start_in(tx, running.id, "coder")
    await store.runs.add_usage(finished, "coder", 1200, 300, 0.0421)
    await store.messages.post(running.id, "coder", "@human can you look at this?")


async def test_the_first_read_is_the_store_read(store: Store, workspace: Path) -> None:
    await busy_board(store)
    limits = dict.fromkeys(TaskStatus, 2)  # fewer than some columns hold
    expected = await load_board(store, limits)
    expected.unread = await store.notifications.unread_count(HUMAN)
    expected_feed = await read_feed(store, 0, 20)

    reader = FirstReader.open(store.url)
    assert reader is not None
    try:
        board = first_board(reader, limits)
        feed = reader.feed(20)
    finally:
        reader.close()

    assert board.columns[TaskStatus.FAILED]  # the reads below cover every kind of value
    assert board.unread == 1 and board.agent_tasks and board.totals["cost_usd"] > 0
    assert any(t.blocked for t in board.columns[TaskStatus.INBOX])
    assert any(f.running_since is not None for f in board.figures.values())
    assert board == expected
    assert feed == expected_feed


def test_sqlite_file_agrees_with_the_store_or_declines(tmp_path: Path) -> None:
    for url in (
        f"sqlite+aiosqlite:///{tmp_path / 'a b' / 'state.db'}",
        "sqlite+aiosqlite:///relative/state.db",
    ):
        assert sqlite_file(url) == sqlite_path(url)
    for url in (
        f"sqlite:///{tmp_path / 'state.db'}",  # not the store's driver: it refuses it
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "postgresql+asyncpg://me@localhost/maos",
        f"sqlite+aiosqlite:///{tmp_path / 'state.db'}?timeout=3",
        f"sqlite+aiosqlite:///{tmp_path / 'state%20db'}",
    ):
        assert sqlite_file(url) is None


async def test_only_a_database_of_the_current_schema_is_read(store: Store, tmp_path: Path) -> None:
    assert FirstReader.open(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}") is None
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not a database" * 100)
    assert FirstReader.open(f"sqlite+aiosqlite:///{not_a_db}") is None

    path = sqlite_path(store.url)
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE maos_meta SET value = '1' WHERE key = 'schema_version'")
    assert FirstReader.open(store.url) is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE maos_meta SET value = '99' WHERE key = 'schema_version'")
    assert FirstReader.open(store.url) is None


async def test_the_reader_is_read_only(store: Store) -> None:
    await store.tasks.create("Write the docs")
    path = sqlite_path(store.url)
    assert path is not None
    await store.close()  # nothing else holds the file
    before = hashlib.sha256(path.read_bytes()).digest()
    reader = FirstReader.open(store.url)
    assert reader is not None
    first_board(reader, {})
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._conn.execute("DELETE FROM tasks")
    reader.close()
    assert hashlib.sha256(path.read_bytes()).digest() == before
