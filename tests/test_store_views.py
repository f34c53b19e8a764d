"""The store's read views (store/views.py): what the screens and the WORKING.md sync read,
on one snapshot, without holding a connection of their own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.stdlib.connect import sqlite_file
from maos_tui.store.views import read_view, view_within
from maos_tui.working_md.board import load_board, read_board
from tests.working_md.test_wm_lite import busy_board


async def test_a_view_reads_one_snapshot(store: Store) -> None:
    """Reads in one view all see the commits of its first read, not later ones: a refresh
    never draws counts from before a commit beside columns from after it."""
    await store.tasks.create("first")
    async with read_view(store) as view:
        before = await view.counts()
        await store.tasks.create("second")  # commits on the store's writer meanwhile
        assert [t.title for t in await view.tasks()] == ["first"]
        assert await view.counts() == before
    async with read_view(store) as view:
        assert [t.title for t in await view.tasks()] == ["first", "second"]


async def test_a_view_within_a_write_sees_what_it_changed(store: Store) -> None:
    task = await store.tasks.create("draft")
    async with store.write() as tx:
        await store.tasks.edit_in(tx, task.id, title="final")
        await store.tasks.move_in(tx, task.id, TaskStatus.REVIEW)
        seen = await view_within(store, tx).task(task.id)
    assert (seen.title, seen.status) == ("final", TaskStatus.REVIEW)


async def test_the_task_detail_reads(store: Store) -> None:
    parent = await store.tasks.create("parent")
    first = await store.tasks.create("first child", parent=parent.id)
    waiting = await store.tasks.create("waits", after=[first.id])
    gone = await store.tasks.create("archived child", parent=parent.id)
    await store.tasks.archive(gone.id)
    await store.tasks.move(first.id, TaskStatus.DONE)
    async with read_view(store) as view:
        assert await view.subtasks(parent.id) == [(first.id, "first child", "done")]
        assert await view.dependents(first.id) == [waiting.id]
        assert await view.dependents_of([first.id, parent.id]) == {waiting.id}
        assert await view.statuses_of([first.id, waiting.id, gone.id]) == {
            TaskStatus.DONE,
            TaskStatus.INBOX,
        }
        history = await view.history(first.id)
    assert [a.verb for a in history] == ["created", "completed"]  # oldest first
    assert all(a.task_id == first.id for a in history)


async def test_the_feed_counts_what_came_after(store: Store) -> None:
    await store.tasks.create("one")
    async with read_view(store) as view:
        (newest,) = await view.activities_after(0, 1)
    await store.tasks.create("two")
    await store.tasks.create("three")
    async with read_view(store) as view:
        count, last = await view.activities_since(newest.id)
        after = await view.activities_after(newest.id)
        assert await view.activities_since(last) == (0, 0)
    assert count == 2 and [a.id for a in after] == sorted(a.id for a in after)
    assert after[-1].id == last


@pytest.mark.sqlite_only  # the other reader is the stdlib sqlite3 one
async def test_working_md_reads_the_same_board_with_and_without_the_store(
    store: Store, workspace: Path
) -> None:
    await busy_board(store)
    through_store = await load_board(store)
    conn = sqlite3.connect(sqlite_file(store.url))
    try:
        conn.execute("BEGIN")
        stdlib = read_board(conn)
    finally:
        conn.close()
    assert through_store == stdlib
    assert through_store.tasks and through_store.agents and through_store.messages
