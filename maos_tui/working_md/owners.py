"""Which processes keep WORKING.md current right now.

A long-running sync (the TUI, `maos-tui run`) follows every commit, its own and other
processes', and rewrites the file itself. While one runs, one-shot CLI commands skip their
own rewrite: with thousands of tasks that rewrite is most of a command's cost, and eight
scripts writing at once would otherwise queue on the file lock behind each other.

Each running sync holds an exclusive flock on its own file in `.maos/sync-owners/`. The
kernel drops the flock when the process dies (`kill -9` included), so a file left behind
by a crash reads as "nobody", and the next look removes it. Lookers take shared locks,
which never conflict with one another, so two lookers cannot mistake each other for an
owner.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import uuid
from pathlib import Path

OWNERS_DIR = "sync-owners"


class Ownership:
    """Held from `claim()` until `release()`; the claim is visible only once locked."""

    def __init__(self, maos_dir: Path) -> None:
        self.folder = maos_dir / OWNERS_DIR
        self._fd: int | None = None
        self._path: Path | None = None

    def claim(self, db_url: str) -> None:
        """Claim the file for the database at `db_url` (a command writing to another
        database must still rewrite the file itself)."""
        if self._fd is not None:
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # Locked under a hidden name, then renamed: a looker can never find the file
        # unlocked and delete it as stale before we hold it.
        hidden = self.folder / f".{name}"
        fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, _key(db_url))
        path = self.folder / f"{name}.lock"
        os.rename(hidden, path)
        self._fd, self._path = fd, path

    def release(self) -> None:
        if self._fd is None or self._path is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        os.close(self._fd)
        self._fd = self._path = None


def sync_running(maos_dir: Path, db_url: str) -> bool:
    """Does a live process keep WORKING.md current from the database at `db_url`?
    Removes claims left behind by dead processes."""
    try:
        entries = list(os.scandir(maos_dir / OWNERS_DIR))
    except FileNotFoundError:
        return False
    alive = False
    for entry in entries:
        if entry.name.startswith(".") or not entry.name.endswith(".lock"):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            alive = alive or os.pread(fd, 4096, 0) == _key(db_url)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
        finally:
            os.close(fd)
    return alive


def _key(db_url: str) -> bytes:
    """What a claim names its database by: a hash, as a server URL may hold a password."""
    return hashlib.sha256(db_url.encode("utf-8")).hexdigest().encode("ascii")
