"""PostgreSQL itself: IDs from the database, the migrations, and a server that is wrong,
down, or goes away and comes back. (The store, CLI and sync suites run on it too, through
the `db_url` fixture parameter.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from maos_tui.domain import HUMAN
from maos_tui.events import Event
from maos_tui.store import DatabaseUnavailableError, Store, StoreError
from maos_tui.store.migrations import LATEST
from tests.conftest import Cli
from tests.pg_server import PASSWORD, PgServer

pytestmark = pytest.mark.postgresql


async def test_ids_come_from_the_database_under_concurrent_writers(pg_url: str) -> None:
    """Two stores (two processes' worth of connections) write transactions of several
    Activities and runs at once: every ID is the database's, none taken twice, and each
    published event carries its own row's ID."""
    one, two = await Store.open(pg_url), await Store.open(pg_url)
    seen: list[Event] = []
    one.bus.subscribe(seen.append)
    two.bus.subscribe(seen.append)
    try:
        task = await one.tasks.create("shared")
        await one.agents.add("a1", command=["true"])

        async def burst(store: Store, n: int) -> list[int]:
            async with store.write() as tx:
                for i in range(3):
                    await tx.activity(HUMAN, "noted", task.id, n=n, i=i)
                return await store.runs.start_many_in(tx, [(task.id, "a1", "work")] * 2)

        runs = await asyncio.gather(*(burst(s, n) for n in range(10) for s in (one, two)))
        later = await one.tasks.create("after the bursts")  # a single insert, by sequence
        assert later.id == "TASK-002"
        run_ids = [i for pair in runs for i in pair]
        assert len(set(run_ids)) == 40
        async with one.read() as conn:
            rows = dict((await conn.execute(text("SELECT id, details FROM activities"))).all())
            assert sorted(run_ids) == list(
                (await conn.execute(text("SELECT id FROM runs ORDER BY id"))).scalars()
            )
        noted = [e.activity for e in seen if e.activity and e.activity.verb == "noted"]
        assert len(noted) == 60 and len({a.id for a in noted}) == 60
        for activity in noted:
            assert f'"n": {activity.details["n"]}' in rows[activity.id]
            assert f'"i": {activity.details["i"]}' in rows[activity.id]
    finally:
        await one.close()
        await two.close()


def test_task_add_then_every_command_finds_it(workspace: Path, pg_url: str) -> None:
    """The first report: `task add` ended in a lastrowid traceback, then `unknown task`."""
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    assert cli.ok("task", "add", "First on PostgreSQL") == "TASK-001\n"
    assert "First on PostgreSQL" in cli.ok("task", "show", "TASK-001")
    cli.ok("task", "move", "TASK-001", "in_progress")
    assert "TASK-001" in cli.ok("search", "postgre")


async def test_a_fresh_database_gets_the_latest_schema_and_its_search_index(pg_url: str) -> None:
    store = await Store.open(pg_url)
    try:
        assert await store.schema_version() == LATEST
        async with store.read() as conn:
            kinds = await conn.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'search_index' AND column_name = 'words'"
                )
            )
            assert kinds.scalar_one() == "tsvector"
    finally:
        await store.close()


async def test_a_version_2_database_is_upgraded_and_its_rows_indexed(pg_url: str) -> None:
    """Schema v2 on PostgreSQL had no search index: the upgrade builds and fills it."""
    store = await Store.open(pg_url)
    await store.tasks.create("Walrus importer")
    async with store.write() as tx:  # back to what schema v2 was on PostgreSQL
        await tx.conn.execute(text("DROP TABLE search_index"))
        await tx.conn.execute(text("UPDATE maos_meta SET value = '2'"))
    await store.close()
    store = await Store.open(pg_url)
    try:
        assert await store.schema_version() == LATEST
        assert [h.ref for h in await store.search.search("walrus")] == ["TASK-001"]
    finally:
        await store.close()


def _one_line_without_password(message: str) -> None:
    assert "\n" not in message and PASSWORD not in message
    assert "***" in message


async def test_a_wrong_password_is_one_line_without_the_password(pg_server: PgServer) -> None:
    url = pg_server.url("postgres").replace(PASSWORD, "not-the-password")
    with pytest.raises(StoreError) as raised:
        await Store.open(url)
    message = str(raised.value)
    assert message.startswith("cannot log in to postgresql+asyncpg://postgres:***@")
    assert "not-the-password" not in message and "\n" not in message


async def test_a_server_that_is_down_is_unavailable(own_pg_server: PgServer) -> None:
    url = own_pg_server.url("postgres")
    own_pg_server.stop()
    with pytest.raises(DatabaseUnavailableError) as raised:
        await Store.open(url)
    _one_line_without_password(str(raised.value))
    assert str(raised.value).startswith("database unavailable: ")


def test_cli_errors_show_the_url_masked(workspace: Path, own_pg_server: PgServer) -> None:
    cli = Cli(workspace, own_pg_server.url("postgres"))
    cli.ok("init")
    wrong = cli.error("task", "list", MAOS_DB_URL=cli.db_url.replace(PASSWORD, "wrongpw"))
    assert "wrongpw" not in wrong and "password authentication failed" in wrong
    own_pg_server.stop()
    down = cli.error("task", "add", "while it is down")
    _one_line_without_password(down)
    assert down.startswith("error: database unavailable: ")


async def test_a_server_that_stops_and_returns_is_used_again(own_pg_server: PgServer) -> None:
    """The same store, kept open: unavailable while the server is down (one line, no
    password), working again once it is back, and nothing committed before is lost."""
    store = await Store.open(own_pg_server.url("postgres"))
    try:
        before = await store.tasks.create("committed before the stop")
        own_pg_server.stop()
        for call in (store.tasks.list, lambda: store.tasks.create("while down")):
            with pytest.raises(DatabaseUnavailableError) as raised:
                await call()
            _one_line_without_password(str(raised.value))
        own_pg_server.start_again()
        deadline = time.monotonic() + 60
        while True:
            try:
                after = await store.tasks.create("after the return")
                break
            except DatabaseUnavailableError:
                assert time.monotonic() < deadline, "the store never reconnected"
                await asyncio.sleep(0.2)
        assert [t.id for t in await store.tasks.list()] == [before.id, after.id]
    finally:
        await store.close()


async def test_credentials_stay_out_of_working_md_activities_and_files(
    workspace: Path, pg_url: str
) -> None:
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    cli.ok("task", "add", "Secretless", "--description", "see the board")
    cli.ok("task", "move", "TASK-001", "in_progress")
    cli.ok("working", "render")
    assert "Secretless" in (cli.workspace / "WORKING.md").read_text()
    assert "***" in cli.ok("doctor", "--offline")
    for path in cli.workspace.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    store = await Store.open(pg_url)
    try:
        async with store.read() as conn:
            rows = (await conn.execute(text("SELECT actor, verb, details FROM activities"))).all()
    finally:
        await store.close()
    assert rows and not any(PASSWORD in " ".join(map(str, row)) for row in rows)


def test_doctor_checks_the_schema_version_and_the_users_rights(
    workspace: Path, pg_server: PgServer, pg_url: str
) -> None:
    cli = Cli(workspace, pg_url)
    cli.ok("init")
    database = pg_url.rsplit("/", 1)[1]
    role = f"r_{database}"
    pg_server.execute(
        f"CREATE ROLE {role} LOGIN PASSWORD 'reader-secret'",
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
    )
    try:
        reader_url = pg_url.replace(f"postgres:{PASSWORD}@", f"{role}:reader-secret@")
        cli.rows(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        result = cli("doctor", "--offline", MAOS_DB_URL=reader_url)
        assert result.returncode == 1
        line = next(x for x in result.stdout.splitlines() if x.startswith("error    permissions"))
        assert f"user {role} lacks INSERT on activities" in line and "reader-secret" not in line
        write = cli.error("task", "add", "x", MAOS_DB_URL=reader_url)
        assert "permission denied" in write and "doctor" in write
        assert "reader-secret" not in write
        cli.rows("UPDATE maos_meta SET value = '42' WHERE key = 'schema_version'")
        newer = cli("doctor", "--offline")
        assert newer.returncode == 1 and "schema v42 is from a newer maos-tui" in newer.stdout
    finally:
        cli.rows(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        pg_server.execute(
            f'REVOKE CONNECT ON DATABASE "{database}" FROM {role}', f"DROP ROLE {role}"
        )
