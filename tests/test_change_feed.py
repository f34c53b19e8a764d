"""The store's change feed on SQLite: another process's commit reaches every subscriber once,
as one OUTSIDE event; this store's own commits never do."""

from __future__ import annotations

import asyncio

from fakes.support import until

from maos_tui.events import OUTSIDE, Event
from maos_tui.store import Store
from maos_tui.store.feed import SqliteFeed


def outside(events: list[Event]) -> list[Event]:
    return [e for e in events if e.topic == OUTSIDE]


def feed_of(store: Store) -> SqliteFeed:
    assert isinstance(store.changes, SqliteFeed)
    return store.changes


async def test_a_commit_by_another_store_reaches_each_subscriber_once(store: Store) -> None:
    first: list[Event] = []
    second: list[Event] = []
    await store.changes.subscribe(first.append)
    await store.changes.subscribe(second.append)
    other = await Store.open(store.url)
    try:
        await other.tasks.create("theirs")
    finally:
        await other.close()
    await until(lambda: outside(first), message="the other store's commit was not published")
    # Several more looks at the database: the same commit is not published again.
    for _ in range(3):
        await feed_of(store).settle()
    assert len(outside(first)) == 1 and len(outside(second)) == 1
    event = outside(first)[0]
    assert event.activity is None and event.task_id is None


async def test_own_commits_publish_no_outside_event(store: Store) -> None:
    seen: list[Event] = []
    await store.changes.subscribe(seen.append)
    await store.tasks.create("ours")
    await feed_of(store).settle()
    await store.tasks.create("ours too")
    for _ in range(3):
        await feed_of(store).settle()
    assert [e.topic for e in seen] == ["task", "task"]


async def test_a_cli_commit_reaches_the_subscriber_once(store: Store, cli) -> None:
    """A real `maos-tui task add` in another process (its stdlib path writes with sqlite3)."""
    seen: list[Event] = []
    await store.changes.subscribe(seen.append)
    proc = await asyncio.create_subprocess_exec(
        *cli.argv("task", "add", "From another terminal"), env=cli.env()
    )
    assert await proc.wait() == 0
    await until(lambda: outside(seen), message="the CLI's commit was not published")
    await store.tasks.create("ours after")
    for _ in range(3):
        await feed_of(store).settle()
    assert [e.topic for e in seen] == [OUTSIDE, "task"]


async def test_commits_between_two_looks_are_published_once(store: Store) -> None:
    seen: list[Event] = []
    await store.changes.subscribe(seen.append)
    other = await Store.open(store.url)
    try:
        # All in one transaction each, and faster than the feed looks: one event or more,
        # never more than there were commits, and at least one after the last.
        for n in range(5):
            await other.tasks.create(f"theirs {n}")
        await until(lambda: outside(seen), message="the other store's commits were not published")
        await feed_of(store).settle()
        count = len(outside(seen))
        assert 1 <= count <= 5
        await other.tasks.create("one more")
        await until(lambda: len(outside(seen)) == count + 1, message="the last commit was missed")
    finally:
        await other.close()


async def test_the_feed_starts_once_and_stops_with_the_store(store: Store) -> None:
    def feeds() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == "maos-change-feed"]

    assert feeds() == []  # nobody asked: nothing watches
    await asyncio.gather(*(store.changes.subscribe(lambda _e: None) for _ in range(3)))
    assert len(feeds()) == 1
    await store.close()
    assert feeds() == []
