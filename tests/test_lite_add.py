"""`task add` without SQLAlchemy (store/stdlib/lite_add.py): it writes exactly the rows the store
writes, refuses what the store refuses, and leaves to the store (writing nothing) what
only the store can do."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from maos_tui.domain import DomainError, TaskRecord
from maos_tui.store import Store
from maos_tui.store.errors import NeedsStore
from maos_tui.store.stdlib.lite_add import add_task
from maos_tui.store.task_create import NewTask

_TABLES = (
    "tasks",
    "task_dependencies",
    "task_needs",
    "task_labels",
    "task_assignees",
    "counters",
    "activities",
    "notifications",
    "search_index",
)
# Columns that hold the time of the write, which differs between two writes.
_TIMES = {"created_at", "updated_at"}


def _url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


async def _board(db: Path) -> None:
    store = await Store.open(_url(db))
    try:
        await store.agents.add("coder", model="openai/gpt-4o-mini", capabilities=["python"])
        await store.agents.add("qa", command=["pytest", "-q"])
        await store.tasks.create("Set up the repo", priority=0)
        await store.tasks.create("Plan", labels=["docs"])
        old = await store.tasks.create("Old idea")
        await store.tasks.archive(old.id)
    finally:
        await store.close()


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        dumped = {}
        for table in _TABLES:
            cursor = conn.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            rows = [
                tuple(v for n, v in zip(names, row, strict=True) if n not in _TIMES)
                for row in cursor.fetchall()
            ]
            dumped[table] = sorted(rows, key=repr)
    return dumped


def _timeless(task: TaskRecord) -> TaskRecord:
    return dataclasses.replace(task, created_at=None, updated_at=None)  # type: ignore[arg-type]


FIELDS: list[dict[str, Any]] = [
    {},
    {
        "description": "Both parts, with `code` and no mention",
        "priority": 1,
        "after": ["task-1", "TASK-002", "TASK-001"],
        "needs": ["python", "python"],
        "assignees": ["coder", "qa"],
        "parent": "TASK-002",
        "labels": ["docs", "v1"],
        "max_retries": 5,
    },
]


@pytest.mark.parametrize("fields", FIELDS)
async def test_it_writes_the_rows_the_store_writes(tmp_path: Path, fields: dict[str, Any]) -> None:
    by_store, by_lite = tmp_path / "store.db", tmp_path / "lite.db"
    for db in (by_store, by_lite):
        await _board(db)
    store = await Store.open(_url(by_store))
    try:
        expected = await store.tasks.create("Write the docs", **fields)
    finally:
        await store.close()
    created = await add_task(_url(by_lite), NewTask.checked("Write the docs", **fields), [])
    assert _timeless(created) == _timeless(expected)
    assert _dump(by_lite) == _dump(by_store)
    # and the store reads back what the stdlib path wrote, times included
    store = await Store.open(_url(by_lite))
    try:
        assert await store.tasks.get(created.id) == created
        found = await store.search.search("docs")
        assert created.id in {hit.task_id for hit in found}
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"after": ["TASK-099"]}, "unknown task TASK-099"),
        ({"after": ["TASK-003"]}, "cannot depend on TASK-003: it is archived"),
        ({"parent": "TASK-003"}, "cannot be a subtask of TASK-003: it is archived"),
        ({"assignees": ["coder", "ghost", "nobody"]}, "unknown agent ghost, nobody"),
    ],
)
async def test_it_refuses_what_the_store_refuses_and_writes_nothing(
    tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    db = tmp_path / "state.db"
    await _board(db)
    before = _dump(db)
    store = await Store.open(_url(db))
    try:
        with pytest.raises(DomainError, match=message):
            await store.tasks.create("Doomed", **fields)
    finally:
        await store.close()
    with pytest.raises(DomainError, match=message):
        await add_task(_url(db), NewTask.checked("Doomed", **fields), [])
    assert _dump(db) == before  # the counter was not bumped either


@pytest.mark.parametrize("case", ["mention", "old schema", "other driver", "missing file"])
async def test_what_only_the_store_can_do_is_left_to_it(tmp_path: Path, case: str) -> None:
    db = tmp_path / "state.db"
    await _board(db)
    url, description = _url(db), ""
    if case == "mention":
        description = "Ask @coder about it"
    elif case == "old schema":
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE maos_meta SET value = '1' WHERE key = 'schema_version'")
    elif case == "other driver":
        url = f"sqlite:///{db}"
    else:
        url = _url(tmp_path / "new.db")
    before = _dump(db)
    with pytest.raises(NeedsStore):
        await add_task(url, NewTask.checked("Write the docs", description=description), [])
    assert _dump(db) == before
    assert not (tmp_path / "new.db").exists()


async def test_config_agents_are_left_to_the_store_until_it_mirrors_them(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    await _board(db)
    tables = [{"name": "writer", "model": "openai/gpt-4o-mini", "capabilities": ["docs"]}]
    new = NewTask.checked("Write the docs", assignees=["writer"])
    with pytest.raises(NeedsStore):
        await add_task(_url(db), new, tables)
    store = await Store.open(_url(db))
    try:
        await store.agents.sync_config(tables)
    finally:
        await store.close()
    created = await add_task(_url(db), new, tables)
    assert created.assignees == ("writer",)
    changed = [{**tables[0], "role": "writes the docs"}]
    with pytest.raises(NeedsStore):
        await add_task(_url(db), new, changed)
    clash = [{"name": "coder", "model": "openai/gpt-4o-mini"}]
    with pytest.raises(DomainError, match="also added with `agent add`"):
        await add_task(_url(db), new, clash)
