"""Shared fixtures: every test gets its own workspace and never sees the real user config.

`db_url` is the database a test's store and CLI use: the workspace's SQLite file, and again
a fresh PostgreSQL database (tests/pg_server.py). MAOS_TEST_DB=sqlite or =postgresql runs
one backend only, as does `-m "not postgresql"`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.pg_server import own_pg_server, pg_server, pg_url

__all__ = ["own_pg_server", "pg_server", "pg_url"]

_OUR_VARS = ("MAOS_WORKSPACE", "MAOS_DB_URL", "MAOS_CONFIG")
BACKEND_ENV = "MAOS_TEST_DB"
_BACKENDS = {
    "sqlite": pytest.param("sqlite"),
    "postgresql": pytest.param("postgresql", marks=pytest.mark.postgresql),
}


# The suites run on both databases (folders, and test module name prefixes); the others
# (the TUI's, the agents') are about what is above the store, and run on SQLite only.
_PG_SUITES = (
    "scheduler",
    "working_md",
    "test_store",
    "test_cli",
    "test_collab",
    "test_search",
    "test_stranded",
    "test_doctor",
    "test_run_leaves_working_md",
)


def _backends() -> list[object]:
    chosen = os.environ.get(BACKEND_ENV)
    if chosen is None:
        return list(_BACKENDS.values())
    if chosen not in _BACKENDS:
        raise pytest.UsageError(f"{BACKEND_ENV} must be one of {', '.join(_BACKENDS)}")
    return [_BACKENDS[chosen]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about SQLite itself; no PostgreSQL pass"
    )


def _in_postgresql_suites(item: pytest.Item) -> bool:
    path = Path(str(item.path)).relative_to(Path(__file__).parent)
    top_level = len(path.parts) == 1
    return path.parts[0] in _PG_SUITES or (top_level and path.name.startswith(_PG_SUITES))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the PostgreSQL pass for the suites that need it, and not for tests about
    SQLite itself (its files, PRAGMAs, locks)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("db_url") == "postgresql"
        needless = item.get_closest_marker("sqlite_only") or not _in_postgresql_suites(item)
        (dropped if on_pg and needless else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point MAOS_CONFIG at an empty temp file so no test reads ~/.config/maos-tui."""
    for name in _OUR_VARS:
        monkeypatch.delenv(name, raising=False)
    user_config = tmp_path / "user-config" / "config.toml"
    monkeypatch.setenv("MAOS_CONFIG", str(user_config))
    yield user_config


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def sqlite_url(workspace: Path) -> str:
    return f"sqlite+aiosqlite:///{workspace / '.maos' / 'state.db'}"


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, workspace: Path) -> str:
    """The test's database: the workspace's own SQLite file, or a new PostgreSQL one."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return sqlite_url(workspace)


def query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Rows of `sql` (committed, if it writes) on the database at `url`, from sync or async
    tests alike (in a thread with its own event loop)."""

    async def run() -> list[tuple[object, ...]]:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql), params)
                return [tuple(row) for row in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """The real `maos-tui` program in a subprocess, run in one workspace."""

    workspace: Path
    # Given to the program as MAOS_DB_URL unless it is the workspace's own database.
    db_url: str | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _OUR_VARS}
        env["MAOS_CONFIG"] = str(self.workspace.parent / "user-config" / "config.toml")
        if self.db_url is not None and self.db_url != sqlite_url(self.workspace):
            env["MAOS_DB_URL"] = self.db_url
        env.update(extra)
        return env

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        """The rows of `sql` on this CLI's database, whichever it is (see `query`)."""
        return query(self.db_url or sqlite_url(self.workspace), sql, **params)

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "maos_tui", "--workspace", str(self.workspace), *args]

    def __call__(
        self, *args: str, input: str | None = None, timeout: float = 60, **env: str
    ) -> CliResult:
        done = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env=self.env(**env),
            cwd=self.workspace if self.workspace.is_dir() else self.workspace.parent,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, **env: str) -> str:
        result = self(*args, **env)
        assert result.returncode == 0, f"{args} failed: {result.stderr}"
        return result.stdout

    def error(self, *args: str, **env: str) -> str:
        """Run a command that must fail with exactly one `error:` line and no traceback."""
        result = self(*args, **env)
        assert result.returncode != 0, f"{args} should have failed: {result.stdout}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]


@pytest.fixture
def cli(workspace: Path, db_url: str) -> Cli:
    return Cli(workspace, db_url)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(db_url)
    yield opened
    await opened.close()
