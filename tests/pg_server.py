"""A throwaway PostgreSQL server for the tests that need one: `pg_url`, once per session.

Import the fixture into a test module (`from pg_server import pg_url`). It is skipped only
when the server programs are missing (Debian: `apt-get install postgresql`). As root, the
server runs as the `postgres` user, in a folder under /tmp that user can reach (pytest's
own temporary root is private to root); it listens on a free loopback port only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_USER = "postgres"
_DATABASE = "maos"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    return ["runuser", "-u", _USER, "--"] if os.geteuid() == 0 else []


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{argv[0:5]} failed: {done.stderr or done.stdout}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The SQLAlchemy URL of an empty database on a PostgreSQL started for this session."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not on PATH (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="maos-pg-", dir="/tmp"))
    prefix = _as_server_user()
    if prefix:
        shutil.chown(folder, _USER, _USER)
    data, port = folder / "data", _free_port()
    started = False
    try:
        _run([*prefix, "initdb", "-D", str(data), "-A", "trust", "-U", _USER, "--no-sync"])
        _run(
            [
                *prefix,
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-w",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )
        started = True
        _run([*prefix, "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", _USER, _DATABASE])
        yield f"postgresql+asyncpg://{_USER}@127.0.0.1:{port}/{_DATABASE}"
    finally:
        if started:
            _run([*prefix, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)
