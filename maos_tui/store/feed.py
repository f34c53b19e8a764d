"""The change feed: commits made elsewhere (another process, another Store object), told to
this process once, as one OUTSIDE event on the store's bus.

The store's own writes publish their events after commit; nothing tells it about anyone
else's. The TUI, the scheduler and the WORKING.md sync each need to know, so one feed per
store watches the database and they subscribe to it (`await store.changes.subscribe(fn)`):
`fn` then gets this process's events and an OUTSIDE event per batch of outside commits.

SQLite: a dedicated connection polls `PRAGMA data_version`, which moves when any other
connection commits, this store's writer included. Only when it moved does the feed ask the
writer's own counter, which moves for the others' commits only (taking the writer costs
a wait behind a write in progress, so it is not done on every poll).

PostgreSQL: each write transaction sends `pg_notify(CHANNEL, <store id> <changes>)`,
delivered when it commits, and a dedicated connection LISTENs. The changes are the (topic,
task) of the transaction's events, so that a scheduler worker re-reads only those tasks
after another worker's commit instead of its whole backlog (omitted when they would not
fit in a notification: the event then says nothing about what changed). A connection lost
is made again with backoff, then one OUTSIDE event is published: changes may have been
missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.events import OUTSIDE, Changes, Event, Handler
from maos_tui.store.errors import DatabaseUnavailableError, StoreError, translate_error

if TYPE_CHECKING:
    from maos_tui.store.core import Store

log = logging.getLogger(__name__)

CHANNEL = "maos_changes"
# SQLite: how often the dedicated connection looks. A statement on an idle connection,
# so the TUI shows another process's change well within 0.5 s.
POLL_SECONDS = 0.1
# PostgreSQL: how often a quiet listening connection is checked, and the reconnect backoff.
PING_SECONDS = 5.0
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 5.0
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
# PostgreSQL refuses a notification payload of 8000 bytes or more.
_MAX_PAYLOAD = 7900


class ChangeFeed:
    """Started by its first subscriber, stopped by Store.close(). Subclasses watch."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._failing: str | None = None
        # Why the database cannot be reached, while the feed cannot watch it for that
        # reason: the TUI shows it, and knows the outage is over once this is None again.
        self.outage: DatabaseUnavailableError | None = None

    async def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Follow the bus with `handler`, the feed running: every outside commit made after
        this returns reaches `handler` (as an OUTSIDE event) once it is noticed."""
        await self.start()
        return self._store.bus.subscribe(handler)

    async def start(self) -> None:
        """Start watching, if not yet; returns once the feed's starting point is taken.
        Raises StoreError (and stays stopped) when the database cannot be watched."""
        if self._task is None or self._task.done():
            self._ready = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(self._ready), name="maos-change-feed")
        assert self._ready is not None
        await asyncio.shield(self._ready)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def announce(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        """Called in each write transaction of this store, before it commits."""

    async def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            await self._watch(ready)
        except Exception as exc:
            if ready.done():  # the watch loops keep going through database errors
                log.exception("the change feed of %s stopped", self._store.db_label)
            else:
                ready.set_exception(self._error(exc))  # to the subscriber; a later one retries

    async def _watch(self, ready: asyncio.Future[None]) -> None:
        raise NotImplementedError

    def _publish(self, changes: Changes | None = None) -> None:
        self._store.bus.publish([Event(topic=OUTSIDE, changes=changes)])

    def _error(self, exc: Exception) -> StoreError:
        if isinstance(exc, StoreError):
            return exc
        return translate_error(exc, self._store.db_label, "read")

    def _failed(self, exc: Exception) -> None:
        """Say a watch failure once, not on every retry; `_recovered` says when it ends."""
        error = self._error(exc)
        self.outage = error if isinstance(error, DatabaseUnavailableError) else None
        cause = str(error)
        if cause != self._failing:
            self._failing = cause
            log.error("cannot watch for other processes' changes: %s", cause)

    def _recovered(self) -> None:
        self.outage = None
        if self._failing is not None:
            self._failing = None
            log.warning("watching %s for changes again", self._store.db_label)

    async def _dedicated(self) -> tuple[AsyncConnection, Any]:
        """A connection of the feed's own and its driver connection (aiosqlite, asyncpg)."""
        conn = await self._store.engine.connect()
        try:
            raw = await conn.get_raw_connection()
        except BaseException:
            await _discard(conn)
            raise
        return conn, raw.driver_connection


class SqliteFeed(ChangeFeed):
    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._settling: list[asyncio.Future[None]] = []

    async def settle(self) -> None:
        """Return once the feed has looked at the database from start to end, after this
        call: a commit made before it has been published by then, if it is to be."""
        await self.start()
        waiter = asyncio.get_running_loop().create_future()
        self._settling.append(waiter)
        await waiter

    async def _watch(self, ready: asyncio.Future[None]) -> None:
        conn, driver = await self._dedicated()
        try:
            seen = await _data_version(driver)
            written = await self._writer_version()
            ready.set_result(None)
            while True:
                await asyncio.sleep(POLL_SECONDS)
                settled, self._settling = self._settling, []
                try:
                    version = await _data_version(driver)
                    if version != seen:
                        seen = version
                        theirs = await self._writer_version()
                        if theirs != written:
                            written = theirs
                            self._publish()
                except Exception as exc:
                    self._failed(exc)
                else:
                    self._recovered()
                for waiter in settled:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            for waiter in self._settling:
                waiter.cancel()
            await _discard(conn)

    async def _writer_version(self) -> int:
        """The writer connection's counter: moved by commits of other connections only."""
        async with self._store._exclusive() as conn:
            # On the driver: SQLAlchemy would begin a transaction first, and the writer's
            # BEGIN IMMEDIATE takes the database's write lock.
            raw = await conn.get_raw_connection()
            return await _data_version(raw.driver_connection)


class PostgresFeed(ChangeFeed):
    def __init__(self, store: Store) -> None:
        super().__init__(store)
        # Names this store in its notifications, so that it can skip its own.
        self.id = secrets.token_hex(8)
        self._listened = False

    async def announce(self, conn: AsyncConnection, events: Sequence[Event]) -> None:
        changes = list(dict.fromkeys((e.topic, e.task_id) for e in events))
        payload = f"{self.id} {json.dumps(changes, separators=(',', ':'))}"
        if len(payload.encode()) > _MAX_PAYLOAD:
            payload = self.id
        await conn.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        sender, _, changes = payload.partition(" ")
        if sender != self.id:
            self._publish(_changes(changes))

    async def _watch(self, ready: asyncio.Future[None]) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            self._listened = False
            try:
                await self._listen(ready)
            except Exception as exc:
                if not ready.done():
                    raise  # the first subscriber hears why
                self._failed(exc)
            if self._listened:  # a connection that worked: the next one is tried soon
                delay = FIRST_RETRY_SECONDS
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _listen(self, ready: asyncio.Future[None]) -> None:
        """Listen until the connection is lost."""
        conn, driver = await self._dedicated()
        try:
            lost = asyncio.Event()
            driver.add_termination_listener(lambda _conn: lost.set())
            await driver.add_listener(CHANNEL, self._heard)
            self._listened = True
            if ready.done():
                self._recovered()
                self._publish()  # commits made while not listening went unheard
            else:
                ready.set_result(None)
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(PING_SECONDS):
                        await lost.wait()
                if not lost.is_set():
                    # A connection whose server or network went away silently.
                    async with asyncio.timeout(PING_SECONDS):
                        await driver.execute("SELECT 1")
            raise DatabaseUnavailableError(
                f"database unavailable: lost the connection to {self._store.db_label}"
            )
        finally:
            await _discard(conn)


def change_feed(store: Store) -> ChangeFeed:
    """The feed for the store's database, chosen once when the store opens."""
    if store.engine.dialect.name == "postgresql":
        return PostgresFeed(store)
    return SqliteFeed(store)


def _changes(sent: str) -> Changes | None:
    """The changes a notification carries; None when it names none (too many to send, or
    sent by a version that did not send them) or they cannot be read."""
    try:
        pairs = json.loads(sent) if sent else None
        if not isinstance(pairs, list):
            return None
        return tuple((str(topic), None if task is None else str(task)) for topic, task in pairs)
    except (ValueError, TypeError):
        return None


async def _data_version(driver: Any) -> int:
    async with driver.execute("PRAGMA data_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _discard(conn: AsyncConnection) -> None:
    """Close the feed's connection and never pool it: it may be broken, or listening."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
