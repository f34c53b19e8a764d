"""Versioned documents attached to tasks.

A document is identified by its task and its title: writing the same title on the same
task again adds a version (every write does, even an unchanged one, so the history shows
each hand-over). Old versions are kept forever; `diff` compares any two. Titles are text
shown to people, never used as file names: nothing here touches the file system.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.collab import (
    DocumentRecord,
    VersionRecord,
    format_doc_id,
    parse_doc_id,
    parse_document_type,
    validate_document_content,
)
from maos_tui.domain import DomainError, validate_title
from maos_tui.store.messages import check_author, known_task, live_task
from maos_tui.store.models import Document, DocumentVersion
from maos_tui.store.records import document_record
from maos_tui.store.search import index_document_in
from maos_tui.store.stdlib.twins import stdlib_twin

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx


# Documents at their latest version, oldest first: all of them, or one task's. Module
# level: a stdlib `doc list` (store/stdlib/) runs these very statements, compiled ahead.
_LATEST = (
    select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("v"))
    .group_by(DocumentVersion.document_id)
    .subquery()
)
DOCUMENTS = (
    select(Document, DocumentVersion.version, DocumentVersion.author, _LATEST.c.v)
    .join(_LATEST, _LATEST.c.document_id == Document.id)
    .join(
        DocumentVersion,
        (DocumentVersion.document_id == Document.id) & (DocumentVersion.version == _LATEST.c.v),
    )
    .order_by(Document.id)
)
TASK_DOCUMENTS = DOCUMENTS.where(Document.task_id == bindparam("task_id"))


class DocumentService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------ writes

    async def write(
        self,
        task_id: str,
        title: str,
        content: str,
        author: str,
        doc_type: str = "deliverable",
    ) -> DocumentRecord:
        async with self.store.write() as tx:
            doc_id = await self.write_in(tx, task_id, title, content, author, doc_type)
            return await self.get(doc_id, conn=tx.conn)

    async def write_in(
        self,
        tx: Tx,
        task_id: str,
        title: str,
        content: str,
        author: str,
        doc_type: str = "deliverable",
    ) -> int:
        """Create the document or add a version to the one with this title; returns its ID."""
        conn = tx.conn
        clean_title = validate_title(title)
        kind = parse_document_type(doc_type)
        validate_document_content(content)
        tid = await live_task(conn, task_id, "add a document to")
        await check_author(conn, author)
        found = (
            await conn.execute(
                select(Document.id).where(Document.task_id == tid, Document.title == clean_title)
            )
        ).first()
        if found is None:
            result = await conn.execute(
                insert(Document).values(
                    task_id=tid,
                    title=clean_title,
                    doc_type=kind.value,
                    created_by=author,
                    created_at=tx.now,
                    updated_at=tx.now,
                )
            )
            doc_id = int(result.inserted_primary_key[0])
            version = 1
        else:
            doc_id = int(found[0])
            version = await self._latest(conn, doc_id) + 1
            await conn.execute(
                update(Document)
                .where(Document.id == doc_id)
                .values(doc_type=kind.value, updated_at=tx.now)
            )
        await self._add_version(tx, doc_id, tid, clean_title, version, content, author)
        return doc_id

    async def revise(self, doc: str | int, content: str, author: str) -> DocumentRecord:
        """A new version of an existing document, by ID (the TUI's `$EDITOR` save)."""
        doc_id = parse_doc_id(doc)
        validate_document_content(content)
        async with self.store.write() as tx:
            row = await self._doc_row(tx.conn, doc_id)
            tid = await live_task(tx.conn, row["task_id"], "add a document to")
            await check_author(tx.conn, author)
            version = await self._latest(tx.conn, doc_id) + 1
            await tx.conn.execute(
                update(Document).where(Document.id == doc_id).values(updated_at=tx.now)
            )
            await self._add_version(tx, doc_id, tid, row["title"], version, content, author)
            return await self.get(doc_id, conn=tx.conn)

    async def _add_version(
        self, tx: Tx, doc_id: int, tid: str, title: str, version: int, content: str, author: str
    ) -> None:
        await tx.conn.execute(
            insert(DocumentVersion).values(
                document_id=doc_id,
                version=version,
                content=content,
                author=author,
                created_at=tx.now,
            )
        )
        await index_document_in(tx.conn, doc_id, tid, title, content)
        await tx.activity(
            author,
            "wrote",
            tid,
            topic="document",
            document=format_doc_id(doc_id),
            title=title,
            version=version,
        )

    # ------------------------------------------------------------- reads

    async def get(
        self, doc: str | int, version: int | None = None, *, conn: AsyncConnection | None = None
    ) -> DocumentRecord:
        """The document at `version` (default: the latest), with its content."""
        doc_id = parse_doc_id(doc)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(doc_id, version, conn=fresh)
        row = await self._doc_row(conn, doc_id)
        latest = await self._latest(conn, doc_id)
        wanted = latest if version is None else version
        found = (
            (
                await conn.execute(
                    select(DocumentVersion).where(
                        DocumentVersion.document_id == doc_id, DocumentVersion.version == wanted
                    )
                )
            )
            .mappings()
            .first()
        )
        if found is None:
            raise DomainError(
                f"{format_doc_id(doc_id)} has no version {wanted} (versions 1 to {latest})"
            )
        return document_record(row, found, latest, content=True)

    version = get

    @stdlib_twin()
    async def list(
        self, task_id: str | None = None, conn: AsyncConnection | None = None
    ) -> list[DocumentRecord]:
        """Documents at their latest version, without content, oldest first."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(task_id, fresh)
        query, params = DOCUMENTS, {}
        if task_id is not None:
            query, params = TASK_DOCUMENTS, {"task_id": await known_task(conn, task_id)}
        rows = (await conn.execute(query, params)).mappings().all()
        return [document_record(row, row, row["v"], content=False) for row in rows]

    async def versions(
        self, doc: str | int, conn: AsyncConnection | None = None
    ) -> list[VersionRecord]:
        doc_id = parse_doc_id(doc)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.versions(doc_id, fresh)
        await self._doc_row(conn, doc_id)
        rows = await conn.execute(
            select(
                DocumentVersion.version,
                DocumentVersion.author,
                DocumentVersion.created_at,
                func.length(DocumentVersion.content),
            )
            .where(DocumentVersion.document_id == doc_id)
            .order_by(DocumentVersion.version)
        )
        return [VersionRecord(doc_id, v, a, t, int(n)) for v, a, t, n in rows.all()]

    async def diff(self, doc: str | int, old: int, new: int | None = None) -> str:
        """A unified diff from version `old` to version `new` (default: the latest)."""
        async with self.store.read() as conn:
            before = await self.get(doc, old, conn=conn)
            after = await self.get(doc, new, conn=conn)
        lines = difflib.unified_diff(
            _lines(before.content or ""),
            _lines(after.content or ""),
            fromfile=f"{before.ref} v{before.version}",
            tofile=f"{after.ref} v{after.version}",
        )
        # A last line without its newline would run into the next diff line: mark it as
        # `diff -u` and `git diff` do.
        return "".join(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )

    # ----------------------------------------------------------- helpers

    async def _doc_row(self, conn: AsyncConnection, doc_id: int) -> Any:
        row = (await conn.execute(select(Document).where(Document.id == doc_id))).mappings().first()
        if row is None:
            raise DomainError(f"unknown document {format_doc_id(doc_id)}")
        return row

    async def _latest(self, conn: AsyncConnection, doc_id: int) -> int:
        query = select(func.max(DocumentVersion.version)).where(
            DocumentVersion.document_id == doc_id
        )
        return int((await conn.execute(query)).scalar_one() or 0)


def _lines(text: str) -> list[str]:
    """Lines ended by `\\n` only (str.splitlines also ends one at `\\r` and other controls)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)
