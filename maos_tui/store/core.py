"""The Store: one engine, transactions that record Activities, and publish-after-commit."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import bindparam, insert, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from maos_tui.domain import ActivityRecord, DomainError, utcnow
from maos_tui.events import Event, EventBus
from maos_tui.store.engine import WRITE_OPTION, create_engine, db_label, prepare_sqlite_file
from maos_tui.store.errors import StoreError, translate_error
from maos_tui.store.feed import ChangeFeed, change_feed
from maos_tui.store.ids import ManyInserts
from maos_tui.store.migrations import LATEST, current_version, migrate
from maos_tui.store.models import Activity
from maos_tui.store.prepared import Prepared
from maos_tui.store.reader import Reader
from maos_tui.store.records import activity_row
from maos_tui.store.services import Services

# Every write records an Activity, so this is the store's hottest statement. Built once,
# on the Table rather than the mapped class (the ORM's bulk-insert plugin costs ~0.3 ms of
# Python a call), and sent once per transaction for all its Activities.
_ACTIVITIES = Activity.__table__  # type: ignore[attr-defined]
_ACTIVITY_COLUMNS = ("created_at", "actor", "verb", "task_id", "details")
_INSERT_ACTIVITY = insert(_ACTIVITIES)
INSERT_ONE_ACTIVITY = Prepared(
    insert(_ACTIVITIES).values({c: bindparam(c) for c in _ACTIVITY_COLUMNS})
)
_INSERT_ACTIVITIES = ManyInserts(_ACTIVITIES, INSERT_ONE_ACTIVITY)
# An Activity's ID before its row is inserted; never published.
_UNSAVED = 0


class Tx(Reader):
    """A write transaction in progress: SQL plus the Activities and events it will publish.

    Activity rows are inserted together at commit, or earlier by `flush()`: code that reads
    the activities table inside the transaction flushes first. Savepoints go through
    `savepoint()`, which keeps the events in step with what is rolled back.
    """

    def __init__(self, conn: AsyncConnection, driver: Any = None, db_label: str = "") -> None:
        super().__init__(conn, driver, db_label)
        self.events: list[Event] = []
        self.now = utcnow()
        # Set by a write other processes need not hear of (a worker's heartbeat).
        self.quiet = False
        # Rows to insert, with the event that gets each one's ID.
        self._unsaved: list[tuple[Event, dict[str, Any]]] = []

    async def run(self, prepared: Prepared, params: Mapping[str, Any] | None = None) -> int | None:
        """Execute a Prepared statement once; on SQLite, returns the last inserted row ID.
        (Other databases have no such ID: inserts that need theirs use RETURNING.)"""
        if self._driver is None:
            await self.conn.execute(prepared.statement, params or {})
            return None
        form = prepared.form(self.conn.dialect)
        values = prepared.parameters(form, params or {})
        try:
            row = await self._driver.execute_insert(form.sql, values)
        except sqlite3.Error as exc:
            raise translate_error(exc, self._db_label) from None
        return None if row is None else int(row[0])

    async def run_many(self, prepared: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute a Prepared statement for each of `rows` (executemany)."""
        if not rows:
            return
        if self._driver is None:
            await self.conn.execute(prepared.statement, list(rows))
            return
        form = prepared.form(self.conn.dialect)
        values = [prepared.parameters(form, row) for row in rows]
        try:
            await self._driver.executemany(form.sql, values)
        except sqlite3.Error as exc:
            raise translate_error(exc, self._db_label) from None

    async def activity(
        self,
        actor: str,
        verb: str,
        task_id: str | None = None,
        *,
        topic: str = "task",
        agent: str | None = None,
        **details: Any,
    ) -> None:
        record = ActivityRecord(
            id=_UNSAVED,
            created_at=self.now,
            actor=actor,
            verb=verb,
            task_id=task_id,
            details=details,
        )
        event = Event(topic=topic, activity=record, task_id=task_id, agent=agent)
        self.events.append(event)
        self._unsaved.append((event, activity_row(self.now, actor, verb, task_id, details)))

    def notify(self, topic: str, *, task_id: str | None = None, agent: str | None = None) -> None:
        """An event without an Activity, for changes too small for the history (heartbeats)."""
        self.events.append(Event(topic=topic, task_id=task_id, agent=agent))

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: when its body raises, its SQL and its events are undone
        and the rest of the transaction goes on. Its Activities are inserted inside it, so
        reads later in the transaction see them."""
        await self.flush()  # earlier Activities must not be undone with this savepoint
        mark = len(self.events)
        nested = await self.conn.begin_nested()
        try:
            yield
            await self.flush()
        except BaseException:
            await nested.rollback()
            del self.events[mark:]
            self._unsaved.clear()  # all recorded inside: the flush above took the others
            raise
        await nested.commit()

    async def flush(self) -> None:
        """Insert the Activities recorded so far and give their events the new IDs."""
        unsaved, self._unsaved = self._unsaved, []
        if not unsaved:
            return
        if len(unsaved) == 1:
            new_ids = [await self._insert_one(unsaved[0][1])]
        else:
            new_ids = await _INSERT_ACTIVITIES.insert(self, [row for _, row in unsaved])
        saved = {
            id(event): _saved(event, new_id)
            for (event, _), new_id in zip(unsaved, new_ids, strict=True)
        }
        # They are among the newest events: walk back only that far (a merge flushes once
        # per hand-edited line, and rebuilding the whole list each time was quadratic).
        index = len(self.events)
        while saved and index:
            index -= 1
            found = saved.pop(id(self.events[index]), None)
            if found is not None:
                self.events[index] = found

    async def _insert_one(self, row: dict[str, Any]) -> int:
        if self._driver is None:
            result = await self.conn.execute(_INSERT_ACTIVITY, row)
            return int(result.inserted_primary_key[0])
        new_id = await self.run(INSERT_ONE_ACTIVITY, row)
        assert new_id is not None
        return new_id


def _saved(event: Event, new_id: int) -> Event:
    """The event with its Activity's ID (built directly: dataclasses.replace costs ~3x)."""
    record = event.activity
    assert record is not None
    return Event(
        topic=event.topic,
        activity=ActivityRecord(
            id=new_id,
            created_at=record.created_at,
            actor=record.actor,
            verb=record.verb,
            task_id=record.task_id,
            details=record.details,
        ),
        task_id=event.task_id,
        agent=event.agent,
        changes=event.changes,
    )


class Store(Services):
    def __init__(self, engine: AsyncEngine, url: str, bus: EventBus) -> None:
        self.engine = engine
        self.url = url
        self.bus = bus
        self.db_label = db_label(url)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # All of this process's writes go through one connection, one at a time. Waiting
        # on an asyncio lock costs nothing, where two connections of one process competing
        # for SQLite's write lock sleep in its busy handler. And that connection's
        # `PRAGMA data_version` then changes only when *another* connection commits
        # (feed.py).
        self._write_lock = asyncio.Lock()
        self._write_conn: AsyncConnection | None = None
        self._write_driver: tuple[AsyncConnection, Any] | None = None
        self._native = engine.dialect.name == "sqlite" and engine.dialect.driver == "aiosqlite"
        # A read is one snapshot: SQLite's read transactions are; PostgreSQL's default (read
        # committed) would let each statement of a screen's read see a different board.
        self._read_options: dict[str, Any] = (
            {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
        )
        self._write_owner: asyncio.Task[Any] | None = None
        self.changes: ChangeFeed = change_feed(self)
        self._open_services()

    @classmethod
    async def open(cls, url: str, bus: EventBus | None = None, *, create: bool = True) -> Store:
        """The store on `url`; a missing database file is an error unless `create`."""
        label = db_label(url)
        engine = create_engine(url)
        prepare_sqlite_file(url, create=create)
        store = cls(engine, url, bus or EventBus())
        try:
            # Look before locking: an up-to-date or too-new database is never written to.
            async with engine.connect() as conn:
                found = await conn.run_sync(current_version)
            if found != LATEST:
                async with store._writer.begin() as conn:
                    await conn.run_sync(migrate, label)
        except StoreError:
            await engine.dispose()
            raise
        except (SQLAlchemyError, OSError, UnicodeDecodeError) as exc:
            await engine.dispose()
            raise translate_error(exc, label, "open") from None
        return store

    async def close(self) -> None:
        await self.changes.stop()
        if self._write_conn is not None:
            await self._write_conn.close()
            self._write_conn = None
        await self.engine.dispose()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One transaction: commit, then publish its events. DomainErrors roll back."""
        async with self._exclusive() as conn:
            try:
                driver = await self._driver_of(conn)
                async with conn.begin():
                    tx = Tx(conn, driver, self.db_label)
                    yield tx
                    await tx.flush()
                    if not tx.quiet:
                        await self.changes.announce(conn, tx.events)
            except (DomainError, StoreError):
                raise
            except DBAPIError as exc:
                raise translate_error(exc, self.db_label) from None
        self.bus.publish(tx.events)

    async def _driver_of(self, conn: AsyncConnection) -> Any:
        """The writer's aiosqlite connection, for Prepared statements; None elsewhere."""
        if not self._native:
            return None
        if self._write_driver is None or self._write_driver[0] is not conn:
            raw = await conn.get_raw_connection()
            self._write_driver = (conn, raw.driver_connection)
        return self._write_driver[1]

    async def reader(self, conn: AsyncConnection) -> Reader:
        """Prepared statements on a connection of `read()`, in its transaction (begun here
        if no statement began it yet, so that all of them see one snapshot)."""
        if not self._native:
            return Reader(conn)
        if not conn.in_transaction():
            await conn.begin()
        raw = await conn.get_raw_connection()
        return Reader(conn, raw.driver_connection, self.db_label)

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[AsyncConnection]:
        """The writer connection, for one caller at a time, first come first served. The
        wait has no limit of its own: each holder's wait for SQLite's lock has one."""
        if self._write_owner_is_current():
            raise RuntimeError("store.write() inside a write transaction of the same task")
        await self._write_lock.acquire()
        self._write_owner = asyncio.current_task()
        try:
            if not self._native:
                # A server may have restarted since the last write: a pooled connection,
                # pinged on checkout, for each write rather than one kept open.
                conn = await self._new_writer()
                try:
                    yield conn
                finally:
                    await conn.close()
                return
            if self._write_conn is None or self._write_conn.invalidated:
                if self._write_conn is not None:
                    await self._write_conn.close()
                self._write_conn = await self._new_writer()
            elif self._write_conn.in_transaction():
                # A writer cancelled in the middle of its rollback left it unfinished.
                await self._write_conn.rollback()
            yield self._write_conn
        finally:
            self._write_owner = None
            self._write_lock.release()

    async def _new_writer(self) -> AsyncConnection:
        try:
            return await self._writer.connect()
        except (DBAPIError, OSError) as exc:
            raise translate_error(exc, self.db_label) from None

    def _write_owner_is_current(self) -> bool:
        return self._write_lock.locked() and self._write_owner is asyncio.current_task()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        connected = False
        try:
            async with self.engine.connect() as conn:
                connected = True
                if self._read_options:
                    await conn.execution_options(**self._read_options)
                yield conn
        except (DomainError, StoreError):
            raise
        except DBAPIError as exc:
            raise translate_error(exc, self.db_label, "read") from None
        except OSError as exc:  # the server could not be reached; the caller's own stay raw
            if connected:
                raise
            raise translate_error(exc, self.db_label, "read") from None

    @property
    def shared(self) -> bool:
        """Several schedulers may work this database at once (PostgreSQL); on SQLite one
        per workspace holds the scheduler lock (scheduler/lock.py)."""
        return self.engine.dialect.name != "sqlite"

    async def schema_version(self) -> int:
        async with self.read() as conn:
            row = await conn.execute(
                text("SELECT value FROM maos_meta WHERE key = 'schema_version'")
            )
            return int(row.scalar_one())
