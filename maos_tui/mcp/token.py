"""The bearer token of `maos-tui mcp --http`: made once, kept user-only in `.maos/`.

Stdlib only: `--show-token` must not load the SDK."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from maos_tui.domain import DomainError

TOKEN_FILE = "mcp-token"


def token_path(maos_dir: Path) -> Path:
    return maos_dir / TOKEN_FILE


def read_or_create(maos_dir: Path) -> str:
    """The workspace's token, created (mode 0600, never over another file) if missing.
    A token file others can read is refused: the token would not be a secret."""
    path = token_path(maos_dir)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise DomainError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        os.write(fd, f"{token}\n".encode("ascii"))
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink()
        raise DomainError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return token


def _read(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise DomainError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise DomainError(f"{path} is not a file of this user; remove it")
        if info.st_mode & 0o077:
            raise DomainError(f"{path} can be read by others; `chmod 600 {path}` or remove it")
        token = handle.read(1024).decode("ascii", "replace").strip()
    if len(token) < 32:
        raise DomainError(f"{path} holds no usable token; remove it and a new one is made")
    return token
