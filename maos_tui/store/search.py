"""Full-text search over tasks, messages and documents.

On SQLite an FTS5 table, `search_index`, holds one row per task (title + description), per
message (text) and per document (title + latest version). It is not an external-content
table: the services keep it in step inside the same transaction as the change (the
`index_*_in` functions), so a rollback rolls the index back too. Rows are keyed by a rowid
derived from the thing they index (`number * 4 + kind`), which makes re-indexing a
primary-key delete plus an insert instead of a scan of the FTS table.

Only live tasks are indexed: archiving a task takes it, its messages and its documents
out of the index and restoring puts them back, so queries never look at archived rows.

Ranking is bm25 with titles weighing ten times the body. bm25 costs a few microseconds per
matching row, so a query matching more than `RANK_WINDOW` rows (a word in every message)
ranks only the newest `RANK_WINDOW` of them (search_fts.py); that keeps every search well
under 100 ms on 10k tasks and 50k messages (`python -m benchmarks search`).

On PostgreSQL `search_index` is a table of the same shape with a tsvector column under a
GIN index (search_pg.py), kept by the same statements and searched with the same rules.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import SearchHit, format_doc_id
from maos_tui.store.prepared import Prepared
from maos_tui.store.search_fts import fts_hits, fts_query, query_terms
from maos_tui.store.search_keys import STRIDE, search_rowid
from maos_tui.store.search_pg import CREATE_INDEX as CREATE_PG_INDEX
from maos_tui.store.search_pg import PG_SQL, pg_query
from maos_tui.store.stdlib.twins import stdlib_twin

if TYPE_CHECKING:
    from maos_tui.store.core import Store

# An entry is replaced, never updated: FTS5 updates are a delete and an insert anyway.
UNINDEX = Prepared(text("DELETE FROM search_index WHERE rowid = :r"))
INDEX = Prepared(
    text(
        "INSERT INTO search_index (rowid, title, body, kind, ref, task_id) "
        "VALUES (:r, :title, :body, :kind, :ref, :task_id)"
    )
)
# Title matches weigh ten times a body match in bm25.
_TITLE_WEIGHT, _BODY_WEIGHT = 10.0, 1.0
# What search_fts.fts_hits runs on SQLite; compiled ahead for the stdlib path too.
FTS_SQL = SimpleNamespace(
    # Rowids grow with time, so the window's oldest rowid bounds the ranking to the newest.
    SEARCH_CUTOFF=text(
        "SELECT rowid FROM search_index WHERE search_index MATCH :q "
        "ORDER BY rowid DESC LIMIT 1 OFFSET :window"
    ),
    # Rank on rowids only: reading columns or snippets for every match is what costs.
    SEARCH_RANKED=text(
        f"""SELECT rowid, bm25(search_index, {_TITLE_WEIGHT}, {_BODY_WEIGHT}) AS score
        FROM search_index WHERE search_index MATCH :q AND rowid > :cutoff
        ORDER BY score LIMIT :limit"""
    ),
    # By rowid (a JSON array), without MATCH: FTS5 would re-run a prefix query for every
    # listed rowid, so snippets are cut in Python instead of by snippet().
    SEARCH_HITS=text(
        """SELECT s.rowid, s.kind, s.ref, s.task_id,
            CASE s.kind WHEN 'document' THEN s.title ELSE t.title END, s.title, s.body
        FROM search_index s JOIN tasks t ON t.id = s.task_id
        WHERE s.rowid IN (SELECT value FROM json_each(:rowids))"""
    ),
)

CREATE_INDEX = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, kind UNINDEXED, ref UNINDEXED, task_id UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)

# Index live tasks, their messages and their documents' latest versions. `{only}` narrows
# it to one task (restore); it is a fixed SQL fragment, the task ID is a bound parameter.
_FILL = (
    """INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT t.seq * {stride} + 0, t.title, t.description, 'task', t.id, t.id
    FROM tasks t WHERE NOT t.archived {only}""",
    """INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT m.id * {stride} + 1, '', m.text, 'message', CAST(m.id AS TEXT), m.task_id
    FROM messages m JOIN tasks t ON t.id = m.task_id WHERE NOT t.archived {only}""",
    """INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT d.id * {stride} + 2, d.title, v.content, 'document', 'DOC-' || d.id, d.task_id
    FROM documents d JOIN tasks t ON t.id = d.task_id
    JOIN document_versions v ON v.document_id = d.id
    WHERE NOT t.archived {only}
    AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id)""",
)


def _fill_statements(one_task: bool) -> list[str]:
    only = "AND t.id = :task_id" if one_task else ""
    return [sql.format(stride=STRIDE, only=only) for sql in _FILL]


def uses_fts(conn: Connection | AsyncConnection) -> bool:
    """The database has the search index (the store opens SQLite and PostgreSQL only)."""
    return conn.dialect.name in ("sqlite", "postgresql")


def create_and_fill(conn: Connection) -> None:
    """Migration step 2: create SQLite's FTS table and index every existing row."""
    if conn.dialect.name != "sqlite":
        return
    conn.execute(text(CREATE_INDEX))
    rebuild(conn)


def create_and_fill_pg(conn: Connection) -> None:
    """Migration step 3: the same index on PostgreSQL (step 2 created none there)."""
    if conn.dialect.name != "postgresql":
        return
    for statement in CREATE_PG_INDEX:
        conn.execute(text(statement))
    rebuild(conn)


def rebuild(conn: Connection) -> None:
    """Index everything again from the tables (after rows were bulk-loaded behind the
    services' back, e.g. by the benchmarks)."""
    if not uses_fts(conn):
        return
    conn.execute(text("DELETE FROM search_index"))
    for statement in _fill_statements(one_task=False):
        conn.execute(text(statement))


async def set_task_indexed_in(conn: AsyncConnection, task_id: str, indexed: bool) -> None:
    """Archive (False) or restore (True): the task with its messages and documents."""
    if not uses_fts(conn):
        return
    if indexed:
        for statement in _fill_statements(one_task=True):
            await conn.execute(text(statement), {"task_id": task_id})
        return
    await conn.execute(
        text(
            f"""DELETE FROM search_index WHERE rowid IN (
            SELECT seq * {STRIDE} + 0 FROM tasks WHERE id = :task_id
            UNION ALL SELECT id * {STRIDE} + 1 FROM messages WHERE task_id = :task_id
            UNION ALL SELECT id * {STRIDE} + 2 FROM documents WHERE task_id = :task_id)"""
        ),
        {"task_id": task_id},
    )


async def _put(
    conn: AsyncConnection, rowid: int, kind: str, ref: str, task_id: str, title: str, body: str
) -> None:
    if not uses_fts(conn):
        return
    await conn.execute(UNINDEX.statement, {"r": rowid})
    await conn.execute(
        INDEX.statement,
        {"r": rowid, "title": title, "body": body, "kind": kind, "ref": ref, "task_id": task_id},
    )


async def index_message_in(conn: AsyncConnection, message_id: int, task_id: str, body: str) -> None:
    rowid = search_rowid("message", message_id)
    await _put(conn, rowid, "message", str(message_id), task_id, "", body)


async def index_document_in(
    conn: AsyncConnection, doc_id: int, task_id: str, title: str, content: str
) -> None:
    rowid = search_rowid("document", doc_id)
    await _put(conn, rowid, "document", format_doc_id(doc_id), task_id, title, content)


class SearchService:
    def __init__(self, store: Store) -> None:
        self.store = store
        # Chosen once: the statements and query syntax of the store's database.
        postgres = store.engine.dialect.name == "postgresql"
        self._sql = PG_SQL if postgres else FTS_SQL
        self._query = pg_query if postgres else fts_query

    @stdlib_twin()
    async def search(
        self, query: str, *, limit: int = 50, conn: AsyncConnection | None = None
    ) -> list[SearchHit]:
        """Best matches first, over live (non-archived) tasks and their messages and documents."""
        terms = query_terms(query)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.search(query, limit=limit, conn=fresh)

        async def rows(statement: Any, params: dict[str, Any]) -> list[Any]:
            return list((await conn.execute(statement, params)).all())

        return await fts_hits(rows, self._sql, terms, limit, self._query)
