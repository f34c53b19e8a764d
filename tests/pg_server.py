"""A throwaway PostgreSQL server for the tests, and a fresh database for each test.

The session fixture `pg_server` uses the server named by MAOS_TEST_PG_URL (an admin URL,
as `.ci/run` exports it) or else starts its own: `initdb` in a temporary folder, a free
loopback port, password authentication over TCP (so tests can see a wrong password
refused), and no fsync (a test database needs no durability). `pg_url` then gives each
test its own new database, dropped afterwards.

Run as a program, it starts and stops a server for a shell script (`.ci/run`):
    python tests/pg_server.py start FOLDER   # prints the admin URL
    python tests/pg_server.py stop FOLDER
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ADMIN_URL_ENV = "MAOS_TEST_PG_URL"
# The folder `start` was given, when the server in MAOS_TEST_PG_URL was started that way:
# tests that stop and restart the server need it.
FOLDER_ENV = "MAOS_TEST_PG_DIR"
USER = "postgres"
PASSWORD = "maos-test-secret"


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or where Debian's package puts them."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb refuses to run as root: the server runs as the postgres user instead.
    return ["runuser", "-u", USER, "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(folder: Path) -> str:
    """Start a new server with its files in `folder`; returns its admin URL."""
    programs = server_programs()
    if programs is None:
        raise RuntimeError("no PostgreSQL server programs (initdb): apt-get install postgresql")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, USER)
        shutil.chown(password_file, USER)
    subprocess.run(
        _as_server_user(
            [
                str(programs / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    (folder / "options").write_text(options)
    _pg_ctl_start(folder)
    return f"postgresql+asyncpg://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"


def _pg_ctl_start(folder: Path) -> None:
    programs = server_programs()
    assert programs is not None
    subprocess.run(
        _as_server_user(
            [
                str(programs / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "log"),
                "-w",
                "-o",
                (folder / "options").read_text(),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )


def stop(folder: Path, mode: str = "immediate") -> None:
    """Stop the server; "immediate" (a throwaway) loses commits not yet flushed (there is
    no synchronous commit), "fast" keeps them."""
    programs = server_programs()
    if programs is None or not (folder / "data" / "postmaster.pid").exists():
        return
    subprocess.run(
        _as_server_user(
            [str(programs / "pg_ctl"), "-D", str(folder / "data"), "-w", "-m", mode, "stop"]
        ),
        check=False,
        capture_output=True,
    )


class PgServer:
    """A running server: its admin URL, and new databases on it."""

    def __init__(self, admin_url: str, folder: Path | None = None) -> None:
        self.admin_url = admin_url
        # The server's files when this session started it (None for MAOS_TEST_PG_URL).
        self.folder = folder

    def stop(self) -> None:
        """Stop the server as an administrator would: every commit is kept."""
        assert self.folder is not None, "a server this session did not start"
        stop(self.folder, "fast")

    def start_again(self) -> None:
        """Start a stopped server again, on its old port."""
        assert self.folder is not None, "a server this session did not start"
        _pg_ctl_start(self.folder)

    def url(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    def _dsn(self) -> str:
        return self.admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    def execute(self, *statements: str) -> None:
        """Run statements on the admin database (CREATE/DROP DATABASE, roles)."""

        async def run() -> None:
            import asyncpg

            conn = await asyncpg.connect(self._dsn())
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        asyncio.run(run())

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """A new server for as long as the block runs, then stopped and its files removed."""
    # Not under pytest's temp root: that is private to root and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="maos-pg-"))
    folder.chmod(0o755)
    try:
        yield PgServer(start(folder / "server"), folder / "server")
    finally:
        stop(folder / "server")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's server: MAOS_TEST_PG_URL's, else one started for the session."""
    given = os.environ.get(ADMIN_URL_ENV)
    if given:
        folder = os.environ.get(FOLDER_ENV)
        yield PgServer(given, Path(folder) if folder else None)
        return
    if server_programs() is None:
        pytest.skip(f"no PostgreSQL: set {ADMIN_URL_ENV} or install the server programs")
    with throwaway_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new, empty database of its own for one test."""
    name = pg_server.new_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def own_pg_server() -> Iterator[PgServer]:
    """A server of the test's own, for tests that stop and start it."""
    if server_programs() is None:
        pytest.skip("no PostgreSQL server programs (initdb)")
    with throwaway_server() as server:
        yield server


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    elif action == "stop":
        stop(where)
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop FOLDER")
