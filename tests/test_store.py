"""The store: migrations, pragmas, the service layer's Activity + event contract."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from maos_tui.domain import HUMAN, DomainError, TaskMatch, TaskStatus
from maos_tui.events import Event
from maos_tui.store import Store, StoreError
from maos_tui.store.migrations import LATEST

FIXTURES = Path(__file__).parent / "fixtures"


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def schema_of(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as con:
        rows = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
    return [(name, " ".join(sql.split())) for name, sql in rows]


async def test_new_database_is_stamped_latest(tmp_path: Path) -> None:
    store = await Store.open(url(tmp_path / "s.db"))
    assert await store.schema_version() == LATEST
    await store.close()


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("schema_v*.sql")))
async def test_every_earlier_version_migrates_to_the_fresh_schema(
    tmp_path: Path, fixture: Path
) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as con:
        con.executescript(fixture.read_text())
        con.execute(
            "INSERT INTO tasks (id, seq, title, description, status, priority, archived,"
            " created_by, retry_count, max_retries, timeout_seconds, review_rounds,"
            " created_at, updated_at) VALUES ('TASK-001', 1, 'kept', '', 'inbox', 2, 0,"
            " 'human', 0, 3, 900, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        con.execute("UPDATE counters SET value = 1 WHERE name = 'task'")
    store = await Store.open(url(old))
    assert await store.schema_version() == LATEST
    assert (await store.tasks.get("TASK-001")).title == "kept"
    assert (await store.tasks.create("next")).id == "TASK-002"
    await store.close()
    fresh = tmp_path / "fresh.db"
    await (await Store.open(url(fresh))).close()
    assert schema_of(old) == schema_of(fresh)


async def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await (await Store.open(url(path))).close()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE maos_meta SET value = '999' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer maos-tui"):
        await Store.open(url(path))
    assert path.read_bytes() == before


async def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (x)")
    with pytest.raises(StoreError, match="not maos-tui's"):
        await Store.open(url(path))


async def test_garbage_file_is_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"\x00garbage" * 512)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not a usable maos-tui database.*doctor"):
        await Store.open(url(path))
    assert path.read_bytes() == before


@pytest.mark.sqlite_only
async def test_pragmas_are_set(store: Store) -> None:
    async with store.read() as conn:
        pragma = conn.exec_driver_sql
        assert (await pragma("PRAGMA journal_mode")).scalar() == "wal"
        assert (await pragma("PRAGMA foreign_keys")).scalar() == 1
        assert (await pragma("PRAGMA busy_timeout")).scalar() >= 5000
        assert (await pragma("PRAGMA synchronous")).scalar() == 1  # NORMAL


@pytest.mark.sqlite_only
async def test_database_file_is_user_only(store: Store, workspace: Path) -> None:
    assert (workspace / ".maos" / "state.db").stat().st_mode & 0o777 == 0o600


async def test_board_indexes_exist(store: Store) -> None:
    from sqlalchemy import inspect

    def names(conn: object) -> set[str]:
        found = inspect(conn)
        return {i["name"] for t in ("tasks", "activities") for i in found.get_indexes(t)}

    async with store.read() as conn:
        assert {"ix_tasks_board", "ix_activities_time"} <= await conn.run_sync(names)


async def test_each_mutation_writes_an_activity_and_publishes_after_commit(store: Store) -> None:
    seen: list[Event] = []

    def handler(event: Event) -> None:
        # Published after commit: a fresh read already sees the change.
        seen.append(event)

    store.bus.subscribe(handler)
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    task = await store.tasks.create("Write it", assignees=["coder"])
    await store.tasks.move(task.id, TaskStatus.IN_PROGRESS, actor="coder")
    await store.tasks.edit(task.id, title="Write it well", priority=0)
    await store.tasks.archive(task.id)
    await store.tasks.restore(task.id)
    verbs = [(e.activity.actor, e.activity.verb) for e in seen if e.activity]
    assert verbs == [
        (HUMAN, "added agent"),
        (HUMAN, "created"),
        ("coder", "moved"),
        (HUMAN, "edited"),
        (HUMAN, "archived"),
        (HUMAN, "restored"),
    ]
    async with store.read() as conn:
        count = (await conn.exec_driver_sql("SELECT count(*) FROM activities")).scalar()
    assert count == len(verbs)


async def test_failed_mutation_changes_nothing_and_publishes_nothing(store: Store) -> None:
    a = await store.tasks.create("A")
    b = await store.tasks.create("B", after=[a.id])
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    with pytest.raises(DomainError, match=f"cycle: {a.id} -> {b.id} -> {a.id}"):
        await store.tasks.edit(a.id, title="renamed", after=[b.id])
    assert seen == []
    assert (await store.tasks.get(a.id)).title == "A"


async def test_agents_may_not_skip_the_graph(store: Store) -> None:
    task = await store.tasks.create("A")
    with pytest.raises(DomainError, match="cannot move a task from inbox to done"):
        await store.tasks.move(task.id, TaskStatus.DONE, actor="coder")
    assert (await store.tasks.move(task.id, TaskStatus.DONE)).status is TaskStatus.DONE


async def test_blocked_is_derived_from_dependencies(store: Store) -> None:
    a = await store.tasks.create("A")
    b = await store.tasks.create("B", after=[a.id])
    assert (await store.tasks.get(b.id)).blocked
    await store.tasks.move(a.id, TaskStatus.DONE)
    assert not (await store.tasks.get(b.id)).blocked


async def test_archived_or_unknown_dependencies_are_refused(store: Store) -> None:
    a = await store.tasks.create("A")
    await store.tasks.archive(a.id)
    with pytest.raises(DomainError, match="archived"):
        await store.tasks.create("B", after=[a.id])
    with pytest.raises(DomainError, match="unknown task TASK-404"):
        await store.tasks.create("B", after=["TASK-404"])


async def test_ids_are_never_reused(store: Store) -> None:
    first = await store.tasks.create("A")
    await store.tasks.archive(first.id)
    assert (await store.tasks.create("B")).id == "TASK-002"


async def test_removing_an_agent_requeues_its_tasks(store: Store) -> None:
    await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("A", assignees=["coder"])
    await store.tasks.move(task.id, TaskStatus.IN_PROGRESS)
    assert await store.agents.remove("coder") == [task.id]
    after = await store.tasks.get(task.id)
    assert after.status is TaskStatus.INBOX
    assert after.assignees == ()


async def test_retry_resets_the_budget(store: Store) -> None:
    task = await store.tasks.create("A")
    await store.tasks.move(task.id, TaskStatus.FAILED)
    with pytest.raises(DomainError, match="only failed or cancelled"):
        await store.tasks.retry((await store.tasks.create("B")).id)
    again = await store.tasks.retry(task.id)
    assert (again.status, again.retry_count) == (TaskStatus.INBOX, 0)


async def test_config_agents_are_listed_and_follow_the_file(store: Store) -> None:
    await store.agents.sync_config(
        [{"name": "qa", "model": "ollama/llama3", "capabilities": ["review"]}]
    )
    await store.agents.add("coder", model="ollama/x")
    assert [a.name for a in await store.agents.list()] == ["coder", "qa"]
    await store.agents.sync_config([])
    assert [a.name for a in await store.agents.list()] == ["coder"]
    with pytest.raises(DomainError, match="unknown key colour"):
        await store.agents.sync_config([{"name": "qa", "model": "m", "colour": "red"}])


async def test_task_match_filters_in_sql(store: Store) -> None:
    await store.agents.add("coder", model="ollama/m")
    a = await store.tasks.create("Fix the login form", priority=0, assignees=["coder"])
    b = await store.tasks.create("Login page copy", after=[a.id])
    await store.tasks.create("100%_literal wildcard")
    await store.tasks.create("Unrelated")

    async def ids(match: TaskMatch) -> list[str]:
        return [t.id for t in await store.tasks.list(match=match)]

    assert await ids(TaskMatch(words=("login",))) == [a.id, b.id]
    assert await ids(TaskMatch(words=("login", "form"))) == [a.id]
    assert await ids(TaskMatch(words=("task-002",))) == [b.id]
    assert await ids(TaskMatch(agents=("coder",))) == [a.id]
    assert await ids(TaskMatch(priorities=(0, 1))) == [a.id]
    assert await ids(TaskMatch(blocked=True)) == [b.id]
    assert await ids(TaskMatch(words=("%_",))) == ["TASK-003"]
    assert await ids(TaskMatch(words=("_",))) == ["TASK-003"]
    async with store.read() as conn:
        assert (
            await store.tasks.count_matching(conn, TaskStatus.INBOX, TaskMatch(words=("login",)))
            == 1
        )
        assert (
            await store.tasks.count_matching(conn, TaskStatus.ASSIGNED, TaskMatch(words=("login",)))
            == 1
        )


async def test_activities_of_a_transaction_are_inserted_together_in_order(store: Store) -> None:
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    await store.tasks.create("before")
    async with store.write() as tx:
        for step in range(5):
            await tx.activity("coder", "progress", None, topic="run", step=step)
    published = [e.activity for e in seen if e.activity is not None]
    async with store.read() as conn:
        rows = (
            await conn.exec_driver_sql("SELECT id, verb, details FROM activities ORDER BY id")
        ).all()
    assert [(a.id, a.verb) for a in published] == [(r[0], r[1]) for r in rows]
    assert [a.details for a in published[1:]] == [{"step": n} for n in range(5)]
    assert [r[2] for r in rows[1:]] == [f'{{"step": {n}}}' for n in range(5)]


async def test_a_rolled_back_savepoint_takes_its_activities_and_events(store: Store) -> None:
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    async with store.write() as tx:
        await tx.activity(HUMAN, "kept")
        with pytest.raises(DomainError):
            async with tx.savepoint():
                await tx.activity(HUMAN, "undone")
                raise DomainError("bad line")
        async with tx.savepoint():
            await tx.activity(HUMAN, "also kept")
        await tx.activity(HUMAN, "last")
    async with store.read() as conn:
        rows = (await conn.exec_driver_sql("SELECT id, verb FROM activities ORDER BY id")).all()
    assert [(e.activity.id, e.activity.verb) for e in seen if e.activity] == [
        (r[0], r[1]) for r in rows
    ]
    assert [r[1] for r in rows] == ["kept", "also kept", "last"]


async def test_writes_of_one_process_take_turns(store: Store) -> None:
    created = await asyncio.gather(*(store.tasks.create(f"task {n}") for n in range(20)))
    assert len({t.id for t in created}) == 20
    async with store.write():
        with pytest.raises(RuntimeError, match="inside a write transaction"):
            async with store.write():
                pass


async def test_reading_a_few_tasks_matches_reading_the_board(store: Store) -> None:
    """get/get_many read a few tasks in one statement; list() hydrates in bulk. Same records."""
    await store.agents.add("a1", command=["true"])
    await store.agents.add("b2", command=["true"])
    first = await store.tasks.create("first", needs=["py", "go"], labels=["x", "a"])
    second = await store.tasks.create("second", after=[first.id], assignees=["b2", "a1"])
    third = await store.tasks.create("third", after=[second.id, first.id], parent=first.id)
    await store.tasks.move(first.id, TaskStatus.DONE)
    listed = {t.id: t for t in await store.tasks.list()}
    async with store.read() as conn:
        few = {t.id: t for t in await store.tasks.get_many([first.id, second.id, third.id], conn)}
    assert few == listed
    assert await store.tasks.get(third.id) == listed[third.id]
    assert listed[third.id].after == (first.id, second.id) and listed[third.id].blocked
    assert not listed[second.id].blocked and listed[second.id].assignees == ("a1", "b2")
    async with store.write() as tx:
        inside = {t.id: t for t in await store.tasks.get_many_in(tx, [first.id, second.id])}
    assert inside == {k: listed[k] for k in (first.id, second.id)}


@pytest.fixture(params=["driver", "sqlalchemy"])
async def either_path(request: pytest.FixtureRequest, store: Store) -> Store:
    """The store as is (Prepared statements on the SQLite driver) and with the path other
    databases take (the same statements through SQLAlchemy)."""
    if request.param == "sqlalchemy":

        async def no_driver(_conn: object) -> None:
            return None

        store._driver_of = no_driver  # type: ignore[method-assign]
    return store


async def test_prepared_statements_write_and_read_as_sqlalchemy_does(either_path: Store) -> None:
    from sqlalchemy import bindparam, select, update

    from maos_tui.store.models import Task
    from maos_tui.store.prepared import Prepared

    store = either_path
    task = await store.tasks.create("moving")
    table = Task.__table__  # type: ignore[attr-defined]
    when = task.created_at.replace(microsecond=123456)
    set_retry = Prepared(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(retry_at=bindparam("_at"), archived=bindparam("_archived"))
    )
    read = Prepared(
        select(table.c.retry_at, table.c.archived).where(table.c.id == bindparam("_id"))
    )
    async with store.write() as tx:
        await tx.run_many(set_retry, [{"_id": task.id, "_at": when, "_archived": True}])
        assert await tx.rows(read, {"_id": task.id}) == [(when, True)]
        inside = await store.tasks.get_many_in(tx, [task.id, "TASK-999"])
        await tx.activity(HUMAN, "edited", task.id)
        await tx.activity(HUMAN, "edited", task.id)
    (changed,) = inside
    assert changed == await store.tasks.get(task.id)
    assert (changed.retry_at, changed.archived) == (when, True)
    with pytest.raises(StoreError, match=r"(?i)foreign key"):
        async with store.write() as tx:
            bad_parent = Prepared(
                update(table).where(table.c.id == bindparam("_id")).values(parent_id="TASK-999")
            )
            await tx.run(bad_parent, {"_id": task.id})
    assert (await store.tasks.get(task.id)).parent is None


def test_saved_events_keep_every_field() -> None:
    """Tx.flush builds the saved event and Activity field by field (_saved): a new field
    must be added there too."""
    from dataclasses import fields

    from maos_tui.domain import ActivityRecord

    assert [f.name for f in fields(Event)] == [
        "topic",
        "activity",
        "task_id",
        "agent",
        "changes",
    ]
    assert [f.name for f in fields(ActivityRecord)] == [
        "id",
        "created_at",
        "actor",
        "verb",
        "task_id",
        "details",
    ]
