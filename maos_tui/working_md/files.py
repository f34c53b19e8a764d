"""WORKING.md on disk: reading a settled copy, refusing bad files, the sync state, the lock.

The sync state lives in `.maos/` so that every maos-tui process (the TUI, `run`, one-shot
CLI commands) agrees on which file "we" wrote last:
- `working.base.md`: the exact bytes of our last write (the base of the three-way merge);
- `working.state.json`: its stamp and the lines we could not apply (retried every time);
- `working.lock`: an flock held around every read-merge-write, across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import stat
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from maos_tui.config import Workspace
from maos_tui.safe_read import UnsafeFileError, read_regular_file
from maos_tui.working_md.atomic import Stamp, atomic_write

MAX_BYTES = 8 * 1024 * 1024
LOCK_TIMEOUT = 30.0
# Give up waiting for a file that never stops changing, and read it as it is.
MAX_SETTLE_WAIT = 5.0
# How often a waiter for the lock asks whether it should still wait (see `lock`).
_GIVE_UP_CHECK_SECONDS = 0.1


class StepAside(Exception):
    """Raised by `lock()` when its `give_up` says the pass is someone else's now."""


@dataclass
class Snapshot:
    """The file as read: `text` is None when it is missing (`data` None) or refused.
    `refused` says why a regular file is not read (it is then kept aside); `foreign` why
    the path is not read at all (not a regular file: it is left alone)."""

    data: bytes | None
    text: str | None = None
    refused: str | None = None
    foreign: str | None = None

    @property
    def missing(self) -> bool:
        return self.data is None

    @property
    def empty(self) -> bool:
        """Missing or blank: an editor may be half way through a save."""
        return not (self.refused or self.foreign) and not (self.data or b"").strip()


@dataclass
class SyncState:
    stamp: Stamp
    base: bytes
    pending: list[str] = field(default_factory=list)


def decode(data: bytes, size: int | None = None) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it is refused). `size`: the file's, when only part of
    it was read."""
    size = len(data) if size is None else size
    if size > MAX_BYTES:
        return None, f"it is {size / 1048576:.1f} MB (at most {MAX_BYTES // 1048576} MB)"
    if b"\0" in data:
        return None, "it is binary"
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as exc:
        return None, f"it is not UTF-8 text (byte {exc.start})"


def read_snapshot(path: Path) -> Snapshot:
    """Read `path` if it is a regular file, at most MAX_BYTES of it: opened non-blocking, so
    a FIFO put in its place never waits for a writer, and /dev/zero costs nothing."""
    try:
        data = read_regular_file(path, MAX_BYTES)
    except FileNotFoundError:
        return Snapshot(None)
    except UnsafeFileError as exc:
        try:
            st = path.stat()
        except FileNotFoundError:
            return Snapshot(None)
        if stat.S_ISREG(st.st_mode):  # grew past the limit
            return Snapshot(b"", refused=decode(b"", size=st.st_size)[1] or str(exc))
        return Snapshot(b"", foreign=_not_regular(st.st_mode))
    text, refused = decode(data)
    return Snapshot(data, text, refused)


def _not_regular(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))
    kind = next((name for test, name in kinds if test(mode)), "a device")
    return (
        f"it is {kind}, not a regular file, and maos-tui leaves it alone; remove it and "
        "WORKING.md is written again"
    )


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class WorkingFiles:
    def __init__(self, workspace: Workspace) -> None:
        self.path = workspace.working_md
        self.base_path = workspace.maos_dir / "working.base.md"
        self.state_path = workspace.maos_dir / "working.state.json"
        self.lock_path = workspace.maos_dir / "working.lock"

    # ------------------------------------------------------------------ the lock

    @contextlib.asynccontextmanager
    async def lock(self, give_up: Callable[[], bool] | None = None) -> AsyncIterator[None]:
        """Hold the file lock. A waiter polls for it, so under contention a long-running
        sync can win it again and again; `give_up` lets a one-shot command stop waiting
        (`StepAside`) once the pass has become someone else's job."""
        self.lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            started = time.monotonic()
            asked = started
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    now = time.monotonic()
                    if now - started > LOCK_TIMEOUT:
                        raise OSError(
                            f"{self.lock_path} is held by another maos-tui process"
                        ) from None
                    if give_up is not None and now - asked >= _GIVE_UP_CHECK_SECONDS:
                        asked = now
                        if give_up():
                            raise StepAside from None
                    await asyncio.sleep(0.01)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    # ------------------------------------------------------------------ the file

    def read(self) -> Snapshot:
        return read_snapshot(self.path)

    async def read_settled(self, settle: float, empty_grace: float) -> Snapshot:
        """Read once the file has not changed for `settle` seconds (an editor may be half
        way through a save). An empty or missing file gets `empty_grace` to come back: a
        two-step save truncates first, a rename save may unlink first, and rewriting the
        file at that moment would lose what the editor writes next."""
        start = time.monotonic()
        step = max(settle / 4, 0.005)
        while True:
            key, stable_since = _stat_key(self.path), time.monotonic()
            while time.monotonic() - stable_since < settle:
                await asyncio.sleep(step)
                now_key = _stat_key(self.path)
                if now_key != key:
                    key, stable_since = now_key, time.monotonic()
                if time.monotonic() - start > MAX_SETTLE_WAIT:
                    break
            snapshot = await asyncio.to_thread(self.read)
            if snapshot.empty and time.monotonic() - start < empty_grace:
                await asyncio.sleep(step)
                continue
            return snapshot

    def unwritable(self) -> str | None:
        """Why the file must not be replaced, if it must not: a symlink (the replace would
        cut the link; writing through it could reach outside the workspace) or a file the
        user made read-only (a way to say "hands off")."""
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            return (
                f"it is a symlink to {os.path.realpath(self.path)} and maos-tui does not "
                "write through links; replace it with a regular file"
            )
        if not stat.S_ISREG(mode):
            return _not_regular(mode)
        if not mode & stat.S_IWUSR:
            return "it is read-only; it is synced again once it is writable (chmod u+w)"
        return None

    def refuse(self, when: datetime) -> Path:
        """Keep a file we will not read next to it, so none of its text is lost."""
        target = self.path.with_name(f"{self.path.name}.rejected-{when:%Y%m%dT%H%M%S%f}")
        os.replace(self.path, target)
        return target

    def unchanged(self, state: SyncState | None) -> bool:
        """Is the file on disk still the one we last wrote?"""
        if state is None:
            return False
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        if state.stamp.same_stat(st):
            return True
        snapshot = self.read()
        return snapshot.data is not None and Stamp.of(self.path, snapshot.data).sha256 == (
            state.stamp.sha256
        )

    # ------------------------------------------------------------------ the state

    def load_state(self) -> SyncState | None:
        try:
            raw = json.loads(read_regular_file(self.state_path, MAX_BYTES))
            base = read_regular_file(self.base_path, MAX_BYTES)
            stamp = Stamp(raw["sha256"], raw["size"], raw["mtime_ns"], raw["ino"])
            return SyncState(stamp, base, [str(p) for p in raw.get("pending", [])])
        except (OSError, ValueError, KeyError, TypeError):
            # No (or a damaged) state: the next sync runs without a base, which never
            # archives anything, and writes a fresh state.
            return None

    def save_state(self, stamp: Stamp, data: bytes, pending: list[str]) -> None:
        atomic_write(self.base_path, data)
        state = {
            "sha256": stamp.sha256,
            "size": stamp.size,
            "mtime_ns": stamp.mtime_ns,
            "ino": stamp.ino,
            "pending": pending,
        }
        atomic_write(self.state_path, json.dumps(state).encode())
