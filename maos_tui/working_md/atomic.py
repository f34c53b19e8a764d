"""Crash-safe replacement of a file: a reader sees the old or the new file, never a mix.

temp file in the same folder -> write, flush, fsync -> (last check) -> os.replace ->
fsync the folder. A crash before the replace leaves the old file whole and a temp file
named `.<name>.maos-tmp-*`, which `cleanup_temp_files` removes on the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TEMP_MARK = ".maos-tmp-"


@dataclass(frozen=True, slots=True)
class Stamp:
    """How we recognise a file we wrote: its content hash plus size, mtime and inode."""

    sha256: str
    size: int
    mtime_ns: int
    ino: int

    @classmethod
    def of(cls, path: Path, data: bytes) -> Stamp:
        st = path.stat()
        return cls(hashlib.sha256(data).hexdigest(), st.st_size, st.st_mtime_ns, st.st_ino)

    def same_stat(self, st: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ino) == (st.st_size, st.st_mtime_ns, st.st_ino)


# A new file is the user's alone, like the rest of the workspace (`.maos/` is 0700): task
# titles and agent output can be private. A file that exists keeps its mode.
NEW_FILE_MODE = 0o600


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; not possible on every platform)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path, data: bytes, *, still_ok: Callable[[], bool] | None = None
) -> Stamp | None:
    """Replace `path` with `data`, keeping its permissions (a new file gets NEW_FILE_MODE).
    `still_ok` runs right before the replace (the temp file is ready): if it says no,
    nothing changes and None is returned."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMP_MARK}")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        if still_ok is not None and not still_ok():
            os.unlink(temp)
            return None
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)
    return Stamp.of(path, data)


def cleanup_temp_files(path: Path) -> list[Path]:
    """Remove temp files a crashed writer left next to `path`."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}{TEMP_MARK}*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover)
    return removed
