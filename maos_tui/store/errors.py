"""The store's errors, importable without SQLAlchemy: the board's first paint, the
screens and `task add`'s stdlib path raise or catch them before (or without) the store
being opened."""

from __future__ import annotations

import errno
import os
import socket
import sqlite3
from pathlib import Path


class StoreError(RuntimeError):
    """The database could not be used; the message is meant for the user as-is."""


class DatabaseLockedError(StoreError):
    """Another process held the write lock past busy_timeout; trying again may succeed."""


class DatabaseUnavailableError(StoreError):
    """The database server cannot be reached (down, restarting, unreachable, or the
    connection broke); trying again once it is back may succeed."""


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
    server_side = server_error(exc, db_label, doing)
    if server_side is not None:
        return server_side
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


# SQLSTATEs of a server that is gone or not taking connections yet: class 08 (connection
# exceptions), admin and crash shutdown, "the database system is starting up".
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03")
_LOGIN_STATES = ("28000", "28P01")
_NO_RIGHT_STATE = "42501"


def server_error(exc: BaseException, db_label: str, doing: str) -> StoreError | None:
    """A database server's connection and login failures, or None for any other error.
    The driver's own words are kept: a server never echoes the password back."""
    orig = getattr(exc, "orig", None) or exc
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if state in _LOGIN_STATES:
        return StoreError(f"cannot log in to {db_label}: {first} (check the user and password)")
    if state == _NO_RIGHT_STATE:
        return StoreError(
            f"cannot {doing} {db_label}: {first} (`maos-tui doctor` lists the missing rights)"
        )
    lost = getattr(exc, "connection_invalidated", False) or _network_error(orig)
    if lost or state.startswith("08") or state in _UNAVAILABLE_STATES:
        return DatabaseUnavailableError(
            f"database unavailable: cannot {doing} {db_label} ({first or type(orig).__name__})"
        )
    return None


def _network_error(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH)


# Below this, a write failing with a generic I/O error is taken to be a full disk: SQLite
# reports a full disk under WAL as "disk I/O error" when the -wal or -shm write fails.
_FULL_DISK_BYTES = 1024 * 1024


def _disk_full(db_label: str) -> bool:
    try:
        usage = os.statvfs(Path(db_label).parent)
    except OSError:  # not a file path (a server URL), or the folder is gone
        return False
    return usage.f_bavail * usage.f_frsize < _FULL_DISK_BYTES
