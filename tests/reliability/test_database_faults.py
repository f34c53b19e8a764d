"""Faults 3 and 4: a database locked by another process, and a corrupt state.db.

Both run the real `maos-tui` program against real SQLite files; the corrupt file is made
by writing random bytes into a good database, at chosen and at seeded random offsets.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maos_tui.config import Workspace
from maos_tui.store import Store
from tests.conftest import Cli
from tests.reliability.helpers import hold_write_lock, integrity

TASKS = 40


def test_locked_for_ten_seconds_writers_wait_then_fail_readers_go_on(
    cli: Cli, workspace: Path
) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    db = workspace / ".maos" / "state.db"
    holder = hold_write_lock(db, 10)
    try:
        started = time.monotonic()
        writers = [
            subprocess.Popen(cli.argv(*args), env=cli.env(), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in (("task", "add", "second"), ("agent", "add", "x", "--command", "true"))
        ]  # fmt: skip
        # WAL readers are not blocked by a writer: listing and doctor still work meanwhile.
        assert [t["title"] for t in json.loads(cli.ok("task", "list", "--json"))] == ["first"]
        assert json.loads(cli.ok("doctor", "--offline", "--json"))["ok"] is True
        for writer in writers:
            out, err = writer.communicate(timeout=30)
            assert (writer.returncode, out, err) == (1, "", "error: database is locked\n")
        assert 4.5 <= time.monotonic() - started < 10  # waited out busy_timeout, no longer
        assert holder.wait(timeout=15) == 0  # the lock holder itself committed fine
    finally:
        holder.kill()
        holder.wait()
    cli.ok("task", "add", "second")
    assert [t["title"] for t in json.loads(cli.ok("task", "list", "--json"))] == [
        "first",
        "second",
    ]
    assert integrity(db) == ["ok"]


def test_a_lock_shorter_than_busy_timeout_is_waited_out(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    holder = hold_write_lock(workspace / ".maos" / "state.db", 2)
    try:
        started = time.monotonic()
        cli.ok("task", "add", "second")
        assert time.monotonic() - started >= 1.5
    finally:
        holder.kill()
        holder.wait()


HOG = """\
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("CREATE TABLE IF NOT EXISTS hog (n INTEGER)")
end = time.monotonic() + float(sys.argv[2])
print("hogging", flush=True)
while time.monotonic() < end:
    # Commit, then take the lock again at once: a writer polling for it almost never
    # finds it free, although the database keeps moving.
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO hog VALUES (1)")
    time.sleep(0.05)
    con.execute("COMMIT")
"""


def test_a_busy_but_moving_database_is_waited_out_past_busy_timeout(
    cli: Cli, workspace: Path
) -> None:
    """Contention is not a stuck lock: while other writers commit, a command keeps waiting
    (fault 8's eight writers timed out here before)."""
    from maos_tui.store.sqlite_conn import BUSY_TIMEOUT_MS

    cli.ok("init")
    cli.ok("task", "add", "first")
    hog_seconds = BUSY_TIMEOUT_MS / 1000 + 3
    hog = subprocess.Popen(
        [sys.executable, "-c", HOG, str(workspace / ".maos" / "state.db"), str(hog_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert hog.stdout is not None and hog.stdout.readline().strip() == "hogging"
        started = time.monotonic()
        added = cli.ok("task", "add", "second").strip()
        waited = time.monotonic() - started
    finally:
        hog.kill()
        hog.wait()
    assert added == "TASK-002"
    # Longer than one busy_timeout: the command waited through the contention, not around it.
    assert waited > BUSY_TIMEOUT_MS / 1000


@pytest.fixture
async def pristine(workspace: Path) -> bytes:
    """A good database with tasks in it, closed (checkpointed), as bytes."""
    db = workspace / ".maos" / "state.db"
    Workspace(workspace).ensure_dirs()  # as `init` leaves it, so only database files differ
    store = await Store.open(f"sqlite+aiosqlite:///{db}")
    try:
        for n in range(TASKS):
            await store.tasks.create(f"task number {n} " + "x" * 100, description="d" * 500)
    finally:
        await store.close()
    assert not db.with_name("state.db-wal").exists()
    return db.read_bytes()


def assert_refused_clearly(cli: Cli, db: Path, *commands: tuple[str, ...]) -> None:
    """Each command fails with one line naming the file and sending the user to doctor,
    and the file is left byte for byte as it was: never re-created or 'repaired'."""
    before = db.read_bytes()
    files = copies(db)
    for args in commands:
        line = cli.error(*args)
        assert str(db) in line and "maos-tui doctor" in line, line
        assert db.read_bytes() == before
        assert copies(db) == files


def copies(db: Path) -> list[str]:
    """Files that could be a re-created or moved-aside database (SQLite's own -wal and -shm
    come and go with readers and are not copies)."""
    return sorted(p.name for p in db.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))


def doctor_reports(cli: Cli, db: Path) -> dict[str, object]:
    result = cli("doctor", "--offline", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    errors = [c["message"] for c in report["checks"] if c["status"] == "error"]
    assert any(str(db) in message for message in errors), report
    return report


async def test_garbage_header_is_refused_never_recreated(
    cli: Cli, workspace: Path, pristine: bytes
) -> None:
    db = workspace / ".maos" / "state.db"
    with db.open("r+b") as f:
        f.write(random.Random(1).randbytes(16))  # the "SQLite format 3" magic
    assert_refused_clearly(cli, db, ("task", "list"), ("task", "add", "x"), ("init",))
    assert "not a usable maos-tui database" in json.dumps(doctor_reports(cli, db))


async def test_corrupt_tasks_table_page_is_refused(
    cli: Cli, workspace: Path, pristine: bytes
) -> None:
    db = workspace / ".maos" / "state.db"
    with sqlite3.connect(db) as con:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tasks'").fetchone()[0]
    con.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(random.Random(2).randbytes(64))  # the b-tree page header and cell pointers
    assert integrity(db) != ["ok"]
    assert_refused_clearly(cli, db, ("task", "list"), ("task", "add", "x"))
    doctor_reports(cli, db)


async def test_random_bytes_at_random_offsets(cli: Cli, workspace: Path, pristine: bytes) -> None:
    """Wherever the bytes land, a command either works on intact data or refuses clearly,
    the file is never rewritten by a read, and doctor flags every damaged file."""
    db = workspace / ".maos" / "state.db"
    rng = random.Random(7)
    refused = 0
    for _trial in range(12):
        damaged = bytearray(pristine)
        offset = rng.randrange(100, len(pristine) - 64)  # past the 100-byte file header
        damaged[offset : offset + 64] = rng.randbytes(64)
        db.write_bytes(bytes(damaged))
        result = cli("task", "list", "--json")
        assert "Traceback" not in result.stderr
        if result.returncode == 0:
            # Whatever still reads must read whole tasks, not garbage rows.
            assert all(t["id"].startswith("TASK-") for t in json.loads(result.stdout))
        else:
            refused += 1
            line = result.stderr.strip()
            assert line.count("\n") == 0 and line.startswith("error: "), result.stderr
            assert str(db) in line and "maos-tui doctor" in line, line
        assert db.read_bytes() == bytes(damaged)
        if integrity(db) != ["ok"] or result.returncode != 0:
            doctor_reports(cli, db)
    assert refused > 0  # the seed does hit live pages; a suite that never refuses is blind
