"""The store's change feed on PostgreSQL (LISTEN/NOTIFY): another process's commit reaches
the subscriber once, this store's own and rolled-back transactions never do, and a lost
listening connection is made again."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import AsyncIterator

import pytest
from fakes.support import until
from sqlalchemy import text

from maos_tui.domain import DomainError
from maos_tui.events import OUTSIDE, Event
from maos_tui.store import DatabaseUnavailableError, Store
from maos_tui.store.feed import PostgresFeed
from tests.pg_server import PASSWORD, PgServer

pytestmark = pytest.mark.postgresql


def outside(events: list[Event]) -> list[Event]:
    return [e for e in events if e.topic == OUTSIDE]


async def write_once(store: Store, verb: str = "noted") -> None:
    async with store.write() as tx:
        await tx.activity("test", verb)


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    store = await Store.open(pg_url)
    yield store
    await store.close()


@pytest.fixture
async def other(pg_url: str) -> AsyncIterator[Store]:
    """A second store on the same database: for the feed, another process."""
    store = await Store.open(pg_url)
    yield store
    await store.close()


async def heard_after_commit(other: Store, seen: list[Event]) -> None:
    """Commit on `other`; wait for the one event it makes. Notifications come in commit
    order: one that should not have been sent would be counted before this one."""
    before = len(outside(seen))
    await write_once(other)
    await until(
        lambda: len(outside(seen)) > before, message="the other store's commit was not published"
    )
    assert len(outside(seen)) == before + 1


async def test_a_commit_by_another_process_reaches_the_subscriber_once(
    pg_store: Store,
    other: Store,
    pg_url: str,
) -> None:
    assert isinstance(pg_store.changes, PostgresFeed)
    seen: list[Event] = []
    await pg_store.changes.subscribe(seen.append)
    await write_once(pg_store, "ours")
    script = textwrap.dedent(
        """
        import asyncio, sys
        from maos_tui.store import Store

        async def main():
            store = await Store.open(sys.argv[1])
            async with store.write() as tx:
                await tx.activity("other process", "theirs")
            await store.close()

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, pg_url)
    assert await proc.wait() == 0
    await until(lambda: outside(seen), message="the other process's commit was not published")
    await heard_after_commit(other, seen)
    assert [e.topic for e in seen] == ["task", OUTSIDE, OUTSIDE]


async def test_a_rolled_back_transaction_notifies_nobody(pg_store: Store, other: Store) -> None:
    seen: list[Event] = []
    await pg_store.changes.subscribe(seen.append)
    with pytest.raises(DomainError):
        async with other.write() as tx:
            await tx.activity("test", "undone")
            raise DomainError("undo")
    await heard_after_commit(other, seen)
    assert len(outside(seen)) == 1


async def test_a_lost_listening_connection_is_made_again(pg_store: Store, other: Store) -> None:
    seen: list[Event] = []
    await pg_store.changes.subscribe(seen.append)
    async with other.read() as conn:
        ended = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()"
            )
        )
        assert ended.scalars().all() == [True]
    # Made again, it says changes may have been missed meanwhile.
    await until(lambda: outside(seen), message="no event after the connection came back")
    assert len(outside(seen)) == 1
    await heard_after_commit(other, seen)


async def test_a_stopped_server_is_an_outage_until_it_is_back(own_pg_server: PgServer) -> None:
    """The feed says why it cannot watch while the server is away (the TUI shows it), and
    stops saying so once it listens again."""
    store = await Store.open(own_pg_server.url("postgres"))
    try:
        seen: list[Event] = []
        await store.changes.subscribe(seen.append)
        assert store.changes.outage is None
        await asyncio.to_thread(own_pg_server.stop)
        try:
            await until(
                lambda: isinstance(store.changes.outage, DatabaseUnavailableError),
                message="the feed never said the database was unavailable",
            )
            assert PASSWORD not in str(store.changes.outage)
        finally:
            await asyncio.to_thread(own_pg_server.start_again)
        await until(lambda: store.changes.outage is None, message="the outage never ended")
        assert outside(seen), "no event after the feed listened again"
    finally:
        await store.close()


async def test_an_outside_event_says_which_tasks_the_commit_changed(
    pg_store: Store, other: Store
) -> None:
    """A scheduler worker then reads those tasks again, not its whole backlog."""
    seen: list[Event] = []
    await pg_store.changes.subscribe(seen.append)
    task = await other.tasks.create("seen elsewhere")
    await until(lambda: outside(seen), message="the other store's commit was not published")
    assert ("task", task.id) in (outside(seen)[0].changes or ())


async def test_changes_too_many_for_a_notification_are_not_named(
    pg_store: Store, other: Store
) -> None:
    seen: list[Event] = []
    await pg_store.changes.subscribe(seen.append)
    async with other.write() as tx:
        for n in range(1000):  # far past PostgreSQL's 8000-byte payload
            tx.notify("task", task_id=f"task-{n:06d}")
    await until(lambda: outside(seen), message="the other store's commit was not published")
    assert outside(seen)[0].changes is None
