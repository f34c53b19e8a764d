"""The store's read views for the scheduler and run contexts answer the same through
SQLAlchemy (every database but SQLite: PostgreSQL) as through SQLite's Prepared
statements on the driver, which the scheduler uses on SQLite."""

from __future__ import annotations

import pytest

from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.store import Store
from maos_tui.store.core import Reader


@pytest.mark.sqlite_only  # SQLite's prepared statements against the path PostgreSQL takes
async def test_read_views_agree_on_both_paths(store: Store) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("writer", command=["true"])
    asked = await store.tasks.create("Pick a format", assignees=["coder"])
    await store.messages.post(asked.id, "coder", "CSV or JSON?", type="question")
    mentioned = await store.tasks.create("Write it up")
    for n in range(3):
        await store.messages.post(mentioned.id, HUMAN, f"@writer note {n}")
    quiet = await store.tasks.create("Nothing said here")
    ids = [asked.id, mentioned.id, quiet.id]

    answers = []
    async with store.read() as conn:
        readers = [await store.reader(conn), Reader(conn)]
        assert [r.native for r in readers] == [True, False]
        for reader in readers:
            threads = await store.agent_context.threads_in(reader, ids)
            pending = await store.agent_context.undelivered_in(reader, ["coder", "writer"], ids)
            parked = await store.messages.needs_human_in(reader, ids)
            open_tasks = await store.scheduling.open_tasks_in(
                reader, [TaskStatus.INBOX, TaskStatus.ASSIGNED], ids
            )
            answers.append(
                (
                    {tid: [m.text for m in thread] for tid, thread in threads.items()},
                    pending,
                    parked,
                    sorted(t.id for t in open_tasks.tasks),
                    open_tasks.parked,
                )
            )
    native, plain = answers
    assert native == plain
    threads, pending, parked, open_ids, open_parked = native
    assert threads == {
        asked.id: ["CSV or JSON?"],
        mentioned.id: ["@writer note 0", "@writer note 1", "@writer note 2"],
    }
    assert pending == {("writer", mentioned.id)}
    assert parked == open_parked == {asked.id}
    assert open_ids == sorted(ids)
