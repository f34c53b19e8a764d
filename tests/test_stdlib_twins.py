"""Each service method declared with `@stdlib_twin` (store/stdlib/twins.py) against its
twin on the stdlib path: run side by side on two copies of a busy board, with SQLite's
authorizer recording every table each one reads and writes. The twin must write what the
service writes, except the tables it declares it leaves to the store (and then it must
not write them); a read twin must read every table the service reads, and give the same
answer. A side effect added
to a service method fails here until its twin does it too or declares it left to the
store; a twin added without a case here fails too."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.errors import NeedsStore
from maos_tui.store.models import TABLES
from maos_tui.store.stdlib.lite_add import add_task
from maos_tui.store.stdlib.reads import StdlibStore
from maos_tui.store.stdlib.twins import STDLIB_TWINS
from maos_tui.store.task_create import NewTask
from tests.test_stdlib_differential import busy_board

# Every service module, so that every `@stdlib_twin` has registered itself.
_SERVICES = ("agents", "documents", "messages", "notifications", "runs", "search", "tasks")
_INDEX = "search_index"  # FTS5 writes its shadow tables (search_index_data...) too
_KNOWN = set(TABLES.tables) | {_INDEX}
_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_CONFIG_AGENT = [{"name": "bot", "command": ["true"], "role": "new in config.toml"}]


@dataclass
class Touched:
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)


class Recorder:
    """Tables touched by every statement prepared on any sqlite3 connection opened while
    recording: the store's (aiosqlite's thread) and the stdlib path's alike."""

    def __init__(self) -> None:
        self.touched = Touched()
        self._lock = threading.Lock()

    def authorize(self, action: int, table: str | None, *_: Any) -> int:
        if table is not None:
            name = _INDEX if table.startswith(f"{_INDEX}_") else table
            if name in _KNOWN:
                with self._lock:
                    (self.touched.writes if action in _WRITES else self.touched.reads).add(name)
        return sqlite3.SQLITE_OK


@contextmanager
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Touched]:
    """Connections opened inside are fresh, so no statement escapes the authorizer by
    having been prepared (and cached) before."""
    recorder = Recorder()
    connect = sqlite3.connect

    def observed(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_authorizer(recorder.authorize)
        return conn

    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", observed)
        yield recorder.touched


def url_of(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


async def run_service(url: str, call: Callable[[Store], Awaitable[Any]]) -> Any:
    store = await Store.open(url)
    try:
        return await call(store)
    finally:
        await store.close()


async def run_reads(url: str, call: Callable[[StdlibStore], Awaitable[Any]]) -> Any:
    reads = StdlibStore.open(url, [])
    assert reads is not None, "the stdlib path declined a database it should read"
    try:
        return await call(reads)
    finally:
        reads.close()


async def totals(store: Store) -> Any:
    async with store.read() as conn:
        return await store.agents.totals(conn)


async def workers(store: Store) -> Any:
    async with store.read() as conn:
        return await store.workers.list(conn)


async def create_twin(url: str, ids: dict[str, str]) -> Any:
    new = NewTask.checked("New task", description="look", after=[ids["setup"]], assignees=["coder"])
    return await add_task(url, new, [])


async def config_agent_holding_a_task(url: str, ids: dict[str, str]) -> None:
    """Before AgentService.sync_config's case: a config agent the new config drops."""

    async def prepare(store: Store) -> None:
        await store.agents.sync_config([{"name": "old", "command": ["true"]}])
        await store.tasks.assign(ids["setup"], ["old"])

    await run_service(url, prepare)


async def sync_config_twin(url: str) -> None:
    assert StdlibStore.open(url, _CONFIG_AGENT) is None, "the twin must leave this to the store"


# Each declared twin: the service call, and its twin's (given the database's URL). Reads
# compare their answers too; writers compare only what they touch.
Call = Callable[[str, dict[str, str]], Awaitable[Any]]
CASES: dict[str, tuple[Call, Call]] = {
    "TaskService.get": (
        lambda url, ids: run_service(url, lambda s: s.tasks.get(ids["part"])),
        lambda url, ids: run_reads(url, lambda r: r.tasks.get(ids["part"])),
    ),
    "TaskService.list": (
        lambda url, ids: run_service(
            url, lambda s: s.tasks.list([TaskStatus.INBOX, TaskStatus.ASSIGNED], "coder")
        ),
        lambda url, ids: run_reads(
            url, lambda r: r.tasks.list([TaskStatus.INBOX, TaskStatus.ASSIGNED], "coder")
        ),
    ),
    "TaskService.counts": (
        lambda url, ids: run_service(url, lambda s: s.tasks.counts()),
        lambda url, ids: run_reads(url, lambda r: r.tasks.counts()),
    ),
    "TaskService.create": (
        lambda url, ids: run_service(
            url,
            lambda s: s.tasks.create(
                "New task", description="@coder look", after=[ids["setup"]], assignees=["coder"]
            ),
        ),
        create_twin,
    ),
    "AgentService.get": (
        lambda url, ids: run_service(url, lambda s: s.agents.get("qa")),
        lambda url, ids: run_reads(url, lambda r: r.agents.get("qa")),
    ),
    "AgentService.list": (
        lambda url, ids: run_service(url, lambda s: s.agents.list()),
        lambda url, ids: run_reads(url, lambda r: r.agents.list()),
    ),
    "AgentService.totals": (
        lambda url, ids: run_service(url, totals),
        lambda url, ids: run_reads(url, lambda r: r.agents.totals()),
    ),
    "WorkerService.list": (
        lambda url, ids: run_service(url, workers),
        lambda url, ids: run_reads(url, lambda r: r.workers.list()),
    ),
    "AgentService.sync_config": (
        lambda url, ids: run_service(url, lambda s: s.agents.sync_config(_CONFIG_AGENT)),
        lambda url, ids: sync_config_twin(url),
    ),
    "SearchService.search": (
        lambda url, ids: run_service(url, lambda s: s.search.search("part", limit=5)),
        lambda url, ids: run_reads(url, lambda r: r.search.search("part", limit=5)),
    ),
    "MessageService.list": (
        lambda url, ids: run_service(url, lambda s: s.messages.list(ids["running"])),
        lambda url, ids: run_reads(url, lambda r: r.messages.list(ids["running"])),
    ),
    "DocumentService.list": (
        lambda url, ids: run_service(url, lambda s: s.documents.list(ids["running"])),
        lambda url, ids: run_reads(url, lambda r: r.documents.list(ids["running"])),
    ),
}
_WRITERS = {"TaskService.create", "AgentService.sync_config"}
# State a case needs that the busy board lacks, set up on both copies before recording.
PREPARE: dict[str, Call] = {"AgentService.sync_config": config_agent_holding_a_task}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    db = tmp_path_factory.mktemp("twins") / "board.db"
    return db, asyncio.run(busy_board(url_of(db)))


def copy_of(template: Path, target: Path) -> Path:
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    with src, dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def test_every_declared_twin_has_a_case() -> None:
    for module in _SERVICES:
        importlib.import_module(f"maos_tui.store.{module}")
    assert set(STDLIB_TWINS) == set(CASES)
    for twin in STDLIB_TWINS.values():
        assert set(twin.leaves_to_store) <= _KNOWN, f"{twin.method}: not a table"


@pytest.mark.parametrize("method", sorted(CASES))
async def test_a_twin_touches_what_its_service_does(
    method: str,
    template: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, ids = template
    service_call, twin_call = CASES[method]
    service_db, twin_db = copy_of(db, tmp_path / "service.db"), copy_of(db, tmp_path / "twin.db")
    if method in PREPARE:
        for copy in (service_db, twin_db):
            await PREPARE[method](url_of(copy), ids)
    with recording(monkeypatch) as service:
        expected = await service_call(url_of(service_db), ids)
    with recording(monkeypatch) as twin:
        found = await twin_call(url_of(twin_db), ids)
    leaves = set(STDLIB_TWINS[method].leaves_to_store)

    assert service.writes - leaves <= twin.writes, f"{method}: a write the twin skips"
    assert twin.writes <= service.writes, f"{method}: the twin writes more"
    assert not twin.writes & leaves, f"{method}: the twin writes what it leaves to the store"
    assert service.reads, "the recorder saw the service's statements"
    if method in _WRITERS:
        # Each table left to the store is one the service writes here.
        assert leaves <= service.writes, f"{method}: the case misses what the store does"
    else:
        assert service.reads <= twin.reads, f"{method}: the twin ignores a table"
        assert not service.writes and found == expected


async def test_a_mention_is_what_task_add_leaves_to_the_store(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """TaskService.create's declared `notifications`: the twin declines such a task."""
    db, _ = template
    twin_db = copy_of(db, tmp_path / "twin.db")
    with pytest.raises(NeedsStore):
        await add_task(url_of(twin_db), NewTask.checked("Hi", description="@coder look"), [])
    with sqlite3.connect(twin_db) as conn, sqlite3.connect(db) as before:
        count = "SELECT count(*) FROM tasks"
        assert conn.execute(count).fetchone() == before.execute(count).fetchone()
