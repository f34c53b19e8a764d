"""Schema migrations: from nothing, from the frozen v1 schema with data, and schema drift.

`tests/fixtures/schema_v<N>.sql` are frozen: a change to the models needs a new migration
and a new fixture. To freeze the current schema after adding a migration:

    python -c "import tests.test_migrations as t; t.freeze()"
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from maos_tui.store import Store
from maos_tui.store.migrations import LATEST

FIXTURES = Path(__file__).parent / "fixtures"
V1 = FIXTURES / "schema_v1.sql"
FROZEN = FIXTURES / f"schema_v{LATEST}.sql"


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def schema(path: Path) -> list[str]:
    """Every table, index and virtual table, in a stable order. FTS5 shadow tables are
    left out: SQLite creates them with the virtual table."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'search_index_%' ORDER BY type DESC, name"
        ).fetchall()
    return [row[0] + ";" for row in rows]


async def create(path: Path) -> None:
    store = await Store.open(url(path))
    await store.close()


async def fresh_schema(tmp_path: Path) -> list[str]:
    path = tmp_path / "fresh.db"
    await create(path)
    return schema(path)


def freeze(target: Path = FROZEN) -> None:
    """Write a fresh database as an SQL dump (schema and seed rows), like `sqlite3 .dump`."""
    import asyncio
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fresh.db"
        asyncio.run(create(path))
        with sqlite3.connect(path) as conn:
            target.write_text("\n".join(conn.iterdump()) + "\n")


def load_v1(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(V1.read_text())
        conn.executescript(
            """
            UPDATE counters SET value = 2 WHERE name = 'task';
            INSERT INTO tasks (id, seq, title, description, status, priority, archived,
                created_by, retry_count, max_retries, timeout_seconds, review_rounds,
                created_at, updated_at)
            VALUES ('TASK-001', 1, 'Legacy importer', 'reads walrus files', 'inbox', 2, 0,
                'human', 0, 3, 900, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
                   ('TASK-002', 2, 'Shelved walrus', '', 'inbox', 2, 1,
                'human', 0, 3, 900, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
            INSERT INTO messages (task_id, author, text, type, created_at)
            VALUES ('TASK-001', 'human', 'what about narwhal input?', 'comment',
                '2026-01-01 00:00:00');
            INSERT INTO documents (task_id, title, doc_type, created_by, created_at, updated_at)
            VALUES ('TASK-001', 'Format notes', 'research', 'human',
                '2026-01-01 00:00:00', '2026-01-01 00:00:00');
            INSERT INTO document_versions (document_id, version, content, author, created_at)
            VALUES (1, 1, 'old octopus', 'human', '2026-01-01 00:00:00'),
                   (1, 2, 'new squid', 'human', '2026-01-01 00:00:00');
            """
        )


async def test_empty_database_gets_the_latest_schema(tmp_path: Path) -> None:
    store = await Store.open(url(tmp_path / "new.db"))
    try:
        assert await store.schema_version() == LATEST == 8
        task = await store.tasks.create("Searchable from the start")
        assert [h.ref for h in await store.search.search("searchable")] == [task.id]
    finally:
        await store.close()


async def test_fresh_schema_matches_the_frozen_fixture(tmp_path: Path) -> None:
    frozen = tmp_path / "frozen.db"
    with sqlite3.connect(frozen) as conn:
        conn.executescript(FROZEN.read_text())
    assert schema(frozen) == await fresh_schema(tmp_path), (
        "the schema changed: add a migration and freeze it (see this module's docstring)"
    )


async def test_v1_with_data_upgrades_to_the_fresh_schema_and_indexes_old_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    load_v1(path)
    store = await Store.open(url(path))
    try:
        assert await store.schema_version() == LATEST
        assert [h.ref for h in await store.search.search("walrus")] == ["TASK-001"]
        assert [h.kind for h in await store.search.search("narwhal")] == ["message"]
        assert await store.search.search("octopus") == []
        assert [h.ref for h in await store.search.search("squid")] == ["DOC-1"]
        # New writes after the upgrade stay in step with the migrated index.
        await store.tasks.edit("TASK-001", description="reads seal files")
        assert await store.search.search("walrus") == []
        assert (await store.documents.write("TASK-001", "Format notes", "x", "human")).version == 3
    finally:
        await store.close()
    assert schema(path) == await fresh_schema(tmp_path)


async def test_reopening_an_upgraded_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    load_v1(path)
    for _ in range(2):
        store = await Store.open(url(path))
        await store.close()
    with sqlite3.connect(path) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM search_index").fetchone()
    assert rows == 3  # the live task, its message and its document (not the archived task)
