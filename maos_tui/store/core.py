"""The Store: one engine, transactions that record Activities, and publish-after-commit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from maos_tui.domain import ActivityRecord, DomainError, utcnow
from maos_tui.events import Event, EventBus
from maos_tui.store.engine import (
    WRITE_OPTION,
    StoreError,
    create_engine,
    prepare_sqlite_file,
    sqlite_path,
    translate_error,
)
from maos_tui.store.migrations import LATEST, current_version, migrate
from maos_tui.store.models import Activity

if TYPE_CHECKING:
    from maos_tui.store.agents import AgentService
    from maos_tui.store.documents import DocumentService
    from maos_tui.store.messages import MessageService
    from maos_tui.store.notifications import NotificationService
    from maos_tui.store.runs import RunService
    from maos_tui.store.search import SearchService
    from maos_tui.store.tasks import TaskService


# Every write records an Activity, so this is the store's hottest statement. Built once,
# on the Table rather than the mapped class (the ORM's bulk-insert plugin costs ~0.3 ms of
# Python a call), and sent once per transaction for all its Activities.
_ACTIVITIES = Activity.__table__  # type: ignore[attr-defined]
_INSERT_ACTIVITY = insert(_ACTIVITIES)
_LAST_ACTIVITY_ID = select(func.max(_ACTIVITIES.c.id))
# An Activity's ID before its row is inserted; never published.
_UNSAVED = 0


class Tx:
    """A write transaction in progress: SQL plus the Activities and events it will publish.

    Activity rows are inserted together at commit, or earlier by `flush()`: code that reads
    the activities table inside the transaction flushes first. Savepoints go through
    `savepoint()`, which keeps the events in step with what is rolled back.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self.now = utcnow()
        # Rows to insert, with the event that gets each one's ID.
        self._unsaved: list[tuple[Event, dict[str, Any]]] = []

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
        row = {
            "created_at": self.now,
            "actor": actor,
            "verb": verb,
            "task_id": task_id,
            "details": json.dumps(details, default=str, ensure_ascii=False),
        }
        self._unsaved.append((event, row))

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
            result = await self.conn.execute(_INSERT_ACTIVITY, unsaved[0][1])
            new_ids = [int(result.inserted_primary_key[0])]
        else:
            # IDs given here, not read back: SQLite does not promise RETURNING's order, and
            # SQLAlchemy's order-keeping fallback is a statement per row. This transaction
            # holds the database's write lock, so nobody else can take these IDs meanwhile.
            last = (await self.conn.execute(_LAST_ACTIVITY_ID)).scalar_one() or 0
            new_ids = list(range(last + 1, last + 1 + len(unsaved)))
            rows = [{**row, "id": i} for (_, row), i in zip(unsaved, new_ids, strict=True)]
            await self.conn.execute(_INSERT_ACTIVITY, rows)
        saved = {
            id(event): replace(event, activity=replace(event.activity, id=new_id))
            for (event, _), new_id in zip(unsaved, new_ids, strict=True)
            if event.activity is not None
        }
        # They are among the newest events: walk back only that far (a merge flushes once
        # per hand-edited line, and rebuilding the whole list each time was quadratic).
        index = len(self.events)
        while saved and index:
            index -= 1
            found = saved.pop(id(self.events[index]), None)
            if found is not None:
                self.events[index] = found


class Store:
    def __init__(self, engine: AsyncEngine, url: str, bus: EventBus) -> None:
        self.engine = engine
        self.url = url
        self.bus = bus
        path = sqlite_path(url)
        self.db_label = str(path) if path else engine.url.render_as_string(hide_password=True)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # All of this process's writes go through one connection, one at a time. Waiting
        # on an asyncio lock costs nothing, where two connections of one process competing
        # for SQLite's write lock sleep in its busy handler. And that connection's
        # `PRAGMA data_version` then changes only when *another* connection commits.
        self._write_lock = asyncio.Lock()
        self._write_conn: AsyncConnection | None = None
        self._write_owner: asyncio.Task[Any] | None = None
        from maos_tui.store.agents import AgentService
        from maos_tui.store.documents import DocumentService
        from maos_tui.store.messages import MessageService
        from maos_tui.store.notifications import NotificationService
        from maos_tui.store.runs import RunService
        from maos_tui.store.search import SearchService
        from maos_tui.store.tasks import TaskService

        self.tasks: TaskService = TaskService(self)
        self.agents: AgentService = AgentService(self)
        self.runs: RunService = RunService(self)
        self.messages: MessageService = MessageService(self)
        self.documents: DocumentService = DocumentService(self)
        self.notifications: NotificationService = NotificationService(self)
        self.search: SearchService = SearchService(self)

    @classmethod
    async def open(cls, url: str, bus: EventBus | None = None) -> Store:
        path = sqlite_path(url)
        label = str(path) if path else url
        if path is not None:
            prepare_sqlite_file(path)
        engine = create_engine(url)
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
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise translate_error(exc, label) from None
        return store

    async def close(self) -> None:
        if self._write_conn is not None:
            await self._write_conn.close()
            self._write_conn = None
        await self.engine.dispose()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One transaction: commit, then publish its events. DomainErrors roll back."""
        async with self._exclusive() as conn:
            try:
                async with conn.begin():
                    tx = Tx(conn)
                    yield tx
                    await tx.flush()
            except (DomainError, StoreError):
                raise
            except DBAPIError as exc:
                raise translate_error(exc, self.db_label) from None
        self.bus.publish(tx.events)

    async def outside_writes(self) -> int:
        """A number that changes whenever a connection other than this store's writer
        commits: another process (the CLI, a WORKING.md edit) or a second Store. This
        store's own writes announce themselves on the bus instead."""
        if self.engine.dialect.name != "sqlite":
            return 0
        async with self._exclusive() as conn:
            # On the driver: SQLAlchemy would begin a transaction first, and the writer's
            # BEGIN IMMEDIATE takes the database's write lock.
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            async with driver.execute("PRAGMA data_version") as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[AsyncConnection]:
        """The writer connection, for one caller at a time, first come first served. The
        wait has no limit of its own: each holder's wait for SQLite's lock has one."""
        if self._write_owner_is_current():
            raise RuntimeError("store.write() inside a write transaction of the same task")
        await self._write_lock.acquire()
        self._write_owner = asyncio.current_task()
        try:
            if self._write_conn is None or self._write_conn.invalidated:
                if self._write_conn is not None:
                    await self._write_conn.close()
                try:
                    self._write_conn = await self._writer.connect()
                except DBAPIError as exc:
                    raise translate_error(exc, self.db_label) from None
            elif self._write_conn.in_transaction():
                # A writer cancelled in the middle of its rollback left it unfinished.
                await self._write_conn.rollback()
            yield self._write_conn
        finally:
            self._write_owner = None
            self._write_lock.release()

    def _write_owner_is_current(self) -> bool:
        return self._write_lock.locked() and self._write_owner is asyncio.current_task()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self.engine.connect() as conn:
                yield conn
        except (DomainError, StoreError):
            raise
        except DBAPIError as exc:
            raise translate_error(exc, self.db_label) from None

    async def data_version(self, conn: AsyncConnection) -> int:
        """SQLite's counter of commits made by *other* connections (cheap change polling)."""
        if self.engine.dialect.name != "sqlite":
            return 0
        return int((await conn.exec_driver_sql("PRAGMA data_version")).scalar_one())

    async def schema_version(self) -> int:
        async with self.read() as conn:
            row = await conn.execute(
                text("SELECT value FROM maos_meta WHERE key = 'schema_version'")
            )
            return int(row.scalar_one())
