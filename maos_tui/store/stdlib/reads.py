"""The one-shot read commands without SQLAlchemy: `task list`, `task show`, `status`,
`agent list`, `agent show`, `search`, `msg list` and `doc list` read one snapshot of the database on
the stdlib `sqlite3`, with the store's own statements compiled ahead (compiled_sql.py)
and the store's own conversions (records.py, search_fts.py).

`StdlibStore` is the read side of `Store` with the same names: `store.tasks.list(...)`,
`store.agents.totals(conn)`, `store.search.search(...)`, so a command's body is the same
on both paths. Each method twins the service method of the same name, which declares
what it leaves to the store (twins.py; tests/test_stdlib_twins.py holds them to it).

`open` gives None, and the command opens the store, whenever the store would do more than
read: a database that is not a plain SQLite file of the store's driver, a file that does
not exist yet (the store creates it, or says why not), a schema to migrate (or too new),
or `[[agents]]` in config.toml that the store has not mirrored yet. Nothing is written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from maos_tui.collab import DocumentRecord, MessageRecord, SearchHit
from maos_tui.domain import AgentRecord, DomainError, TaskRecord, TaskStatus, parse_task_id
from maos_tui.store.agent_values import plan_config_agents
from maos_tui.store.errors import translate_error
from maos_tui.store.records import (
    agent_record,
    document_record,
    message_record,
    task_with_relations,
)
from maos_tui.store.search_fts import fts_hits, query_terms
from maos_tui.store.stdlib import compiled_sql as sql
from maos_tui.store.stdlib.connect import begin_current, connect_read_only, sqlite_file
from maos_tui.store.stdlib.first_read import FirstReader
from maos_tui.store.stdlib.runner import mapping, rows
from maos_tui.store.worker_records import WorkerRecord


class _Snapshot:
    """A read transaction on a read-only connection; sqlite3 errors become the store's."""

    def __init__(self, conn: sqlite3.Connection, db_label: str) -> None:
        self.conn = conn
        self.first = FirstReader(conn)
        self._db_label = db_label

    @contextmanager
    def translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise translate_error(exc, self._db_label, "read") from None

    def rows(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        with self.translated():
            return rows(self.conn, statement, params)

    def mappings(
        self, statement: sql.Statement, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [mapping(statement, row) for row in self.rows(statement, params)]

    def known_task(self, task_id: str) -> str:
        """messages.known_task: the canonical ID of a task that exists, archived or not."""
        tid = parse_task_id(task_id)
        if not self.rows(sql.KNOWN_TASK, {"id": tid}):
            raise DomainError(f"unknown task {tid}")
        return tid


class TaskReads:
    """TaskService's reads."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def list(
        self,
        statuses: Sequence[TaskStatus] | None = None,
        assignee: str | None = None,
        archived: bool = False,
    ) -> list[TaskRecord]:
        params = {
            "statuses": json.dumps([s.value for s in statuses]) if statuses else None,
            "assignee": assignee,
            "archived": archived,
        }
        found = self._snapshot.mappings(sql.LIST_TASKS, params)
        return [task_with_relations(row) for row in found]

    async def get(self, task_id: str) -> TaskRecord:
        tid = parse_task_id(task_id)
        found = self._snapshot.mappings(sql.GET_TASK, {"id": tid})
        if not found:
            raise DomainError(f"unknown task {tid}")
        return task_with_relations(found[0])

    async def counts(self, conn: None = None) -> dict[str, int]:
        with self._snapshot.translated():
            return self._snapshot.first.counts()


class AgentReads:
    """AgentService's reads."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def list(self, conn: None = None) -> list[AgentRecord]:
        with self._snapshot.translated():
            return self._snapshot.first.agents()

    async def get(self, name: str) -> AgentRecord:
        found = self._snapshot.mappings(sql.AGENT, {"name": name})
        if not found:
            raise DomainError(f"unknown agent {name}")
        return agent_record(found[0])

    async def totals(self, conn: None = None) -> dict[str, Any]:
        with self._snapshot.translated():
            return self._snapshot.first.totals()


class WorkerReads:
    """WorkerService's reads."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def list(self, conn: None = None) -> list[WorkerRecord]:
        return [WorkerRecord.from_row(row) for row in self._snapshot.mappings(sql.WORKERS)]


class SearchReads:
    """SearchService's search, on the FTS5 index the store keeps on SQLite."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def search(self, query: str, *, limit: int = 50) -> list[SearchHit]:
        async def found(statement: sql.Statement, params: Mapping[str, Any]) -> list[Any]:
            return self._snapshot.rows(statement, params)

        return await fts_hits(found, sql, query_terms(query), limit)


class MessageReads:
    """MessageService's reads."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def list(self, task_id: str) -> list[MessageRecord]:
        tid = self._snapshot.known_task(task_id)
        return [message_record(r) for r in self._snapshot.mappings(sql.THREAD, {"task_id": tid})]


class DocumentReads:
    """DocumentService's reads."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot

    async def list(self, task_id: str | None = None) -> list[DocumentRecord]:
        statement, params = sql.DOCUMENTS, {}
        if task_id is not None:
            statement = sql.TASK_DOCUMENTS
            params = {"task_id": self._snapshot.known_task(task_id)}
        found = self._snapshot.mappings(statement, params)
        return [document_record(row, row, row["v"], content=False) for row in found]


class StdlibStore:
    """The store's reads for one command, on one snapshot (see the module's docstring)."""

    def __init__(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot
        self.tasks = TaskReads(snapshot)
        self.agents = AgentReads(snapshot)
        self.search = SearchReads(snapshot)
        self.messages = MessageReads(snapshot)
        self.documents = DocumentReads(snapshot)
        self.workers = WorkerReads(snapshot)

    @classmethod
    def open(cls, url: str, config_agents: list[dict[str, Any]]) -> StdlibStore | None:
        """A snapshot of the database at `url`; None when the command takes the store."""
        conn = connect_read_only(url)
        if conn is None:
            return None
        try:
            if begin_current(conn) and not _config_agents_to_mirror(conn, config_agents):
                return cls(_Snapshot(conn, str(sqlite_file(url))))
        except sqlite3.Error:
            pass  # the store reports what is wrong, if anything still is
        conn.close()
        return None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        """`Store.read()`: every read here already sees the one snapshot; the methods
        that take a connection in the services take the None this yields."""
        yield None

    def close(self) -> None:
        self._snapshot.conn.close()  # never committed: the transaction only read


def _config_agents_to_mirror(conn: sqlite3.Connection, config_agents: list[dict[str, Any]]) -> bool:
    """Whether opening the store would write config agents (AgentService.sync_config), or
    refuse them: either way the store's to do."""
    if not config_agents:
        return False
    stored = [mapping(sql.AGENTS, row) for row in rows(conn, sql.AGENTS)]
    try:
        return bool(plan_config_agents(config_agents, stored))
    except DomainError:
        return True
