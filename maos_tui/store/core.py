"""The Store: one engine, transactions that record Activities, and publish-after-commit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, text
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
# on the Table rather than the mapped class: `insert(Activity).values(...)` per call went
# through the ORM's bulk-insert plugin and coercions, ~0.3 ms of Python each time.
_INSERT_ACTIVITY = insert(Activity.__table__)  # type: ignore[attr-defined]


class Tx:
    """A write transaction in progress: SQL plus the Activities and events it will publish."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self.now = utcnow()

    async def activity(
        self,
        actor: str,
        verb: str,
        task_id: str | None = None,
        *,
        topic: str = "task",
        agent: str | None = None,
        **details: Any,
    ) -> ActivityRecord:
        result = await self.conn.execute(
            _INSERT_ACTIVITY,
            {
                "created_at": self.now,
                "actor": actor,
                "verb": verb,
                "task_id": task_id,
                "details": json.dumps(details, default=str, ensure_ascii=False),
            },
        )
        record = ActivityRecord(
            id=int(result.inserted_primary_key[0]),
            created_at=self.now,
            actor=actor,
            verb=verb,
            task_id=task_id,
            details=details,
        )
        self.events.append(Event(topic=topic, activity=record, task_id=task_id, agent=agent))
        return record

    def notify(self, topic: str, *, task_id: str | None = None, agent: str | None = None) -> None:
        """An event without an Activity, for changes too small for the history (heartbeats)."""
        self.events.append(Event(topic=topic, task_id=task_id, agent=agent))


class Store:
    def __init__(self, engine: AsyncEngine, url: str, bus: EventBus) -> None:
        self.engine = engine
        self.url = url
        self.bus = bus
        path = sqlite_path(url)
        self.db_label = str(path) if path else engine.url.render_as_string(hide_password=True)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
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
        await self.engine.dispose()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One transaction: commit, then publish its events. DomainErrors roll back."""
        try:
            async with self._writer.begin() as conn:
                tx = Tx(conn)
                yield tx
        except (DomainError, StoreError):
            raise
        except DBAPIError as exc:
            raise translate_error(exc, self.db_label) from None
        self.bus.publish(tx.events)

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
