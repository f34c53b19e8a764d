"""Read a file that a user or an attacker may have replaced with something that is not a file.

A FIFO blocks a plain open() until a writer appears, and /dev/zero never ends. Opening
non-blocking and checking fstat() before the first read refuses both at once; the read itself
stops one byte past the limit so a huge regular file costs at most `limit` bytes of memory.
"""

from __future__ import annotations

import os
import stat

MIB = 1024 * 1024


class UnsafeFileError(OSError):
    """The path is not a regular file, or is larger than the caller allows."""


def read_regular_file(path: str | os.PathLike[str], limit: int = MIB) -> bytes:
    """Return the bytes of `path` (symlinks followed) if it is a regular file of <= `limit` bytes.

    Raises FileNotFoundError when it does not exist, UnsafeFileError when it is a directory,
    FIFO, device or socket or holds more than `limit` bytes, and OSError for anything else.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise UnsafeFileError(f"{path} is a directory, not a file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{path} is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise UnsafeFileError(f"{path} is larger than {_size(limit)}")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 64 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:  # the file grew past the limit after fstat
            raise UnsafeFileError(f"{path} is larger than {_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_regular_text(path: str | os.PathLike[str], limit: int = MIB) -> str:
    """read_regular_file decoded as UTF-8, a leading byte-order mark dropped (editors add one)."""
    return read_regular_file(path, limit).decode("utf-8").removeprefix("\ufeff")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"
