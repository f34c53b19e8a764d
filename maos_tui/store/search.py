"""Full-text search over tasks, messages and documents.

On SQLite an FTS5 table, `search_index`, holds one row per task (title + description), per
message (text) and per document (title + latest version). It is not an external-content
table: the services keep it in step inside the same transaction as the change (the
`index_*_in` functions), so a rollback rolls the index back too. Rows are keyed by a rowid
derived from the thing they index (`number * 4 + kind`), which makes re-indexing a
primary-key delete plus an insert instead of a scan of the FTS table.

Archived tasks stay indexed; queries join `tasks` and skip them, so archive and restore
need no re-indexing. Other dialects have no FTS table and fall back to LIKE.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, String, and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import SearchHit, format_doc_id
from maos_tui.domain import DomainError, task_number
from maos_tui.store.models import Document, DocumentVersion, Message, Task

if TYPE_CHECKING:
    from maos_tui.store.core import Store

_KIND_CODE = {"task": 0, "message": 1, "document": 2}
_STRIDE = 4
# Title matches weigh ten times a body match in bm25.
_TITLE_WEIGHT, _BODY_WEIGHT = 10.0, 1.0
SNIPPET_TOKENS = 12

CREATE_INDEX = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, body, kind UNINDEXED, ref UNINDEXED, task_id UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)

# Used both by the v2 migration (index what a v1 database already holds) and by tests.
_REBUILD = (
    f"""INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT seq * {_STRIDE} + 0, title, description, 'task', id, id FROM tasks""",
    f"""INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT id * {_STRIDE} + 1, '', text, 'message', CAST(id AS TEXT), task_id FROM messages""",
    f"""INSERT INTO search_index (rowid, title, body, kind, ref, task_id)
    SELECT d.id * {_STRIDE} + 2, d.title, v.content, 'document', 'DOC-' || d.id, d.task_id
    FROM documents d JOIN document_versions v ON v.document_id = d.id
    WHERE v.version = (SELECT MAX(version) FROM document_versions WHERE document_id = d.id)""",
)


def uses_fts(conn: Connection | AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


def create_and_fill(conn: Connection) -> None:
    """Migration step 2: create the FTS table and index every existing row."""
    if not uses_fts(conn):
        return
    conn.execute(text(CREATE_INDEX))
    for statement in _REBUILD:
        conn.execute(text(statement))


async def _put(
    conn: AsyncConnection, rowid: int, kind: str, ref: str, task_id: str, title: str, body: str
) -> None:
    if not uses_fts(conn):
        return
    await conn.execute(text("DELETE FROM search_index WHERE rowid = :r"), {"r": rowid})
    await conn.execute(
        text(
            "INSERT INTO search_index (rowid, title, body, kind, ref, task_id) "
            "VALUES (:r, :title, :body, :kind, :ref, :task_id)"
        ),
        {"r": rowid, "title": title, "body": body, "kind": kind, "ref": ref, "task_id": task_id},
    )


async def index_task_in(conn: AsyncConnection, task_id: str, title: str, description: str) -> None:
    rowid = task_number(task_id) * _STRIDE + _KIND_CODE["task"]
    await _put(conn, rowid, "task", task_id, task_id, title, description)


async def index_message_in(conn: AsyncConnection, message_id: int, task_id: str, body: str) -> None:
    rowid = message_id * _STRIDE + _KIND_CODE["message"]
    await _put(conn, rowid, "message", str(message_id), task_id, "", body)


async def index_document_in(
    conn: AsyncConnection, doc_id: int, task_id: str, title: str, content: str
) -> None:
    rowid = doc_id * _STRIDE + _KIND_CODE["document"]
    await _put(conn, rowid, "document", format_doc_id(doc_id), task_id, title, content)


def query_terms(query: str) -> list[str]:
    terms = re.findall(r"\w+", query)
    if not terms:
        raise DomainError("search text is empty (give at least one word)")
    return terms


def fts_query(terms: list[str]) -> str:
    """Every word must appear, each as a prefix; quoting keeps FTS syntax out of user text."""
    return " ".join(f'"{term}"*' for term in terms)


class SearchService:
    def __init__(self, store: Store) -> None:
        self.store = store

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
    rows = await conn.execute(
        text(
            f"""SELECT s.kind, s.ref, s.task_id,
                CASE s.kind WHEN 'document' THEN s.title ELSE t.title END,
                snippet(search_index, -1, '[', ']', '…', {SNIPPET_TOKENS}),
                bm25(search_index, {_TITLE_WEIGHT}, {_BODY_WEIGHT}) AS score
            FROM search_index s JOIN tasks t ON t.id = s.task_id
            WHERE search_index MATCH :q AND t.archived = 0
            ORDER BY score LIMIT :limit"""
        ),
        {"q": fts_query(terms), "limit": limit},
    )
    # bm25 is "lower is better" and negative; flip it so a higher score reads as better.
    return [
        SearchHit(kind, ref, tid, title, snip, -score)
        for kind, ref, tid, title, snip, score in rows.all()
    ]


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
        hits.append(SearchHit(kind, shown, tid, title, _like_snippet(body or "", first), score))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def _like_snippet(body: str, term: str, width: int = 60) -> str:
    at = body.lower().find(term.lower())
    start = max(0, at - width // 2) if at >= 0 else 0
    piece = body[start : start + width].replace("\n", " ")
    return ("…" if start else "") + piece
