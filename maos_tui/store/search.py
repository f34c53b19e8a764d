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

Other dialects have no FTS table and fall back to LIKE (every word, anywhere).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, String, and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import SearchHit, format_doc_id
from maos_tui.store.models import Document, DocumentVersion, Message, Task
from maos_tui.store.prepared import Prepared
from maos_tui.store.search_fts import fts_hits, query_terms, snippet
from maos_tui.store.search_keys import STRIDE, search_rowid
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
    FROM tasks t WHERE t.archived = 0 {only}""",
    """INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT m.id * {stride} + 1, '', m.text, 'message', CAST(m.id AS TEXT), m.task_id
    FROM messages m JOIN tasks t ON t.id = m.task_id WHERE t.archived = 0 {only}""",
    """INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT d.id * {stride} + 2, d.title, v.content, 'document', 'DOC-' || d.id, d.task_id
    FROM documents d JOIN tasks t ON t.id = d.task_id
    JOIN document_versions v ON v.document_id = d.id
    WHERE t.archived = 0 {only}
    AND v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id)""",
)


def _fill_statements(one_task: bool) -> list[str]:
    only = "AND t.id = :task_id" if one_task else ""
    return [sql.format(stride=STRIDE, only=only) for sql in _FILL]


def uses_fts(conn: Connection | AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


def create_and_fill(conn: Connection) -> None:
    """Migration step 2: create the FTS table and index every existing row."""
    if not uses_fts(conn):
        return
    conn.execute(text(CREATE_INDEX))
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

    @stdlib_twin()
    async def search(
        self, query: str, *, limit: int = 50, conn: AsyncConnection | None = None
    ) -> list[SearchHit]:
        """Best matches first, over live (non-archived) tasks and their messages and documents."""
        terms = query_terms(query)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.search(query, limit=limit, conn=fresh)
        if uses_fts(conn):
            return await _search_fts(conn, terms, limit)
        return await _search_like(conn, terms, limit)


async def _search_fts(conn: AsyncConnection, terms: list[str], limit: int) -> list[SearchHit]:
    async def rows(statement: Any, params: dict[str, Any]) -> list[Any]:
        return list((await conn.execute(statement, params)).all())

    return await fts_hits(rows, FTS_SQL, terms, limit)


def _all_terms(columns: list[Any], terms: list[str]) -> Any:
    return and_(*(or_(*(col.ilike(f"%{term}%") for col in columns)) for term in terms))


async def _search_like(conn: AsyncConnection, terms: list[str], limit: int) -> list[SearchHit]:
    """Portable fallback: every word somewhere in the text; title matches rank first."""
    first = terms[0]
    live = Task.archived == False  # noqa: E712 - SQL expression
    latest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("v"))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    tasks_q = select(
        literal("task"),
        Task.id,
        Task.id,
        Task.title,
        Task.description,
        case((Task.title.ilike(f"%{first}%"), 2), else_=1),
    ).where(live, _all_terms([Task.title, Task.description], terms))
    messages_q = (
        select(
            literal("message"),
            func.cast(Message.id, String),
            Message.task_id,
            Task.title,
            Message.text,
            literal(1),
        )
        .join(Task, Task.id == Message.task_id)
        .where(live, _all_terms([Message.text], terms))
    )
    docs_q = (
        select(
            literal("document"),
            func.cast(Document.id, String),
            Document.task_id,
            Document.title,
            DocumentVersion.content,
            case((Document.title.ilike(f"%{first}%"), 2), else_=1),
        )
        .join(Task, Task.id == Document.task_id)
        .join(latest, latest.c.document_id == Document.id)
        .join(
            DocumentVersion,
            and_(DocumentVersion.document_id == Document.id, DocumentVersion.version == latest.c.v),
        )
        .where(live, _all_terms([Document.title, DocumentVersion.content], terms))
    )
    rows = (await conn.execute(union_all(tasks_q, messages_q, docs_q))).all()
    hits = []
    for kind, ref, tid, title, body, score in rows:
        shown = format_doc_id(int(ref)) if kind == "document" else ref
        hits.append(SearchHit(kind, shown, tid, title, snippet(body or "", terms) or title, score))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]
