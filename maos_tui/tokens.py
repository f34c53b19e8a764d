"""Access tokens kept in a workspace's `.maos/` folder (`serve-token` for `maos-tui serve`;
the MCP server's HTTP transport can keep its own the same way).

A token is made once and reused, so a URL or client configured with it keeps working
across restarts; deleting the file makes a new one. It is written user-only (0600), and
an existing file that other users could read is refused rather than trusted: its token may
already be known.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

from maos_tui.config import Workspace
from maos_tui.domain import DomainError

SERVE_TOKEN = "serve-token"
_TOKEN_BYTES = 32
# Sent as `?token=` and in a cookie: only characters neither needs to escape.
_USABLE = re.compile(r"[A-Za-z0-9._~-]{16,}")
_MAX_FILE_BYTES = 4096


def workspace_token(workspace: Workspace, name: str) -> str:
    """The token stored in `.maos/<name>`, created on first use."""
    path = workspace.maos_dir / name
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    """Written to a private temporary file, then linked into place: a reader never sees a
    half-written token, and of two processes creating it at once, the first link wins and
    both use that one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(_TOKEN_BYTES) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise DomainError(f"cannot read the token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise DomainError(f"{path} is not a regular file of this user: delete it")
        if info.st_mode & 0o077:
            raise DomainError(
                f"{path} can be read by other users: delete it (a new token is made) "
                "or make it private with `chmod 600`"
            )
        data = file.read(_MAX_FILE_BYTES + 1)
    token = data.decode("ascii", "replace").strip()
    if len(data) > _MAX_FILE_BYTES or not _USABLE.fullmatch(token):
        raise DomainError(f"{path} does not hold a usable token: delete it (a new one is made)")
    return token
