"""What the reliability tests share: database inspection and process-table checks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def integrity(db: Path) -> list[str]:
    """`PRAGMA integrity_check` through a read-only connection (never repairs or creates).

    ["ok"] for a sound file; damage SQLite cannot even walk comes back as its error text."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [str(row[0]) for row in con.execute("PRAGMA integrity_check")]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return [str(exc)]
    finally:
        con.close()


def task_statuses(db: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT id, status FROM tasks ORDER BY id").fetchall())
    finally:
        con.close()


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the write lock: returns once the lock is taken."""
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys, time\n"
            f"con = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "con.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n"
            "con.execute('COMMIT')\n"
        )],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def processes_with(marker: str) -> list[str]:
    """`ps` lines (pid, ppid, state, args) of live processes whose command line holds marker."""
    out = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    own = str(os.getpid())
    return [
        line.strip()
        for line in out.splitlines()
        if marker in line and "ps -eo" not in line and line.split()[0] != own
    ]
