"""The store's errors, importable without SQLAlchemy: the board's first paint, the
screens and `task add`'s stdlib path raise or catch them before (or without) the store
being opened."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class StoreError(RuntimeError):
    """The database could not be used; the message is meant for the user as-is."""


class DatabaseLockedError(StoreError):
    """Another process held the write lock past busy_timeout; trying again may succeed."""


class NeedsStore(Exception):
    """A path that works without SQLAlchemy (`task add`, its WORKING.md rewrite) cannot
    do this exactly as the store would; nothing was written, and the caller opens the
    store instead."""


def translate_error(exc: BaseException, db_label: str, doing: str = "write") -> StoreError:
    """Turn driver errors (raw sqlite3 ones, or SQLAlchemy's wrapping them in `orig`) into
    one clear sentence naming the database. `doing` ("write", "read" or "open") says what
    failed: only a failed write has a change that was not saved."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig or exc, UnicodeDecodeError):
        # SQLite quoted damaged schema text in its message, which Python cannot decode.
        return translate_error(sqlite3.DatabaseError("database disk image is malformed"), db_label)
    text = str(orig or exc).strip()
    lowered = text.lower()
    if "database is locked" in lowered or "database table is locked" in lowered:
        return DatabaseLockedError("database is locked")
    if "disk is full" in lowered or ("disk i/o error" in lowered and _disk_full(db_label)):
        # Even a read needs room: opening the database creates its -shm and -wal files.
        outcome = (
            "the change was not saved and nothing else was lost"
            if doing == "write"
            else "SQLite needs a little free space even to read, and nothing was changed"
        )
        return StoreError(
            f"cannot {doing} {db_label}: the disk is full ({text}); {outcome}: "
            "free some space and try again"
        )
    damaged = ("file is not a database", "malformed", "could not decode to utf-8")
    if any(sign in lowered for sign in damaged):
        return StoreError(
            f"{db_label} is not a usable maos-tui database ({text}); "
            "run `maos-tui doctor` and keep the file: nothing was overwritten"
        )
    if "unable to open database" in lowered or "readonly database" in lowered:
        return StoreError(f"cannot open database {db_label}: {text}")
    if orig is not None or isinstance(exc, sqlite3.Error):
        return StoreError(f"database error in {db_label}: {text.splitlines()[0]}")
    return StoreError(f"database error in {db_label}: {text}")


# Below this, a write failing with a generic I/O error is taken to be a full disk: SQLite
# reports a full disk under WAL as "disk I/O error" when the -wal or -shm write fails.
_FULL_DISK_BYTES = 1024 * 1024


def _disk_full(db_label: str) -> bool:
    try:
        usage = os.statvfs(Path(db_label).parent)
    except OSError:  # not a file path (a server URL), or the folder is gone
        return False
    return usage.f_bavail * usage.f_frsize < _FULL_DISK_BYTES
