"""`maos-tui task ...` served by the TUI or `maos-tui run` when one is open: the client.

A one-shot command spends most of its time importing SQLAlchemy and opening the store. A
long-running process has both ready, so it listens on a Unix socket in `.maos/` (user-only,
like the folder) and runs task commands for the CLI through its own store: the same
handlers, the same service layer, the same output, and its WORKING.md sync sees the change
at once (the server is `maos_tui.commands.server`). This side is stdlib only, not even
asyncio: it has to start fast.

A command is sent at most once. If nobody listens (no process open, or one that died and
left its socket behind) the CLI runs the command itself. Once a request is sent it never
runs locally as well: a server that dies before answering is reported, not retried.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui import __version__

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.config import Workspace

SERVED_COMMANDS = frozenset({"task"})
SOCKET_NAME = "cli.sock"
# sun_path holds 108 bytes on Linux; deeper workspaces get a socket in a private temp folder.
_MAX_SOCKET_PATH = 100
CONNECT_SECONDS = 1.0
# A served command can wait for the database lock like a local one (up to a minute when
# other writers keep it busy), so the answer may take that long.
_ANSWER_SECONDS = 120.0


def socket_path(workspace: Workspace) -> Path:
    path = workspace.maos_dir / SOCKET_NAME
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    import hashlib
    import tempfile

    digest = hashlib.sha256(os.fsencode(workspace.root)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"maos-tui-{os.getuid()}" / f"{digest}.sock"


def run_served(ctx: Context, argv: Sequence[str]) -> int | None:
    """Run `argv` in the process serving this workspace: its exit code, or None when
    nobody serves it (the caller then runs the command itself)."""
    if ctx.db_url != ctx.workspace.default_db_url():
        return None
    path = socket_path(ctx.workspace)
    if not is_ours(path):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(CONNECT_SECONDS)
        try:
            conn.connect(os.fspath(path))
        except OSError:
            return None  # left behind by a process that died
        conn.settimeout(_ANSWER_SECONDS)
        request = {"version": __version__, "argv": list(argv)}
        try:
            conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
            conn.shutdown(socket.SHUT_WR)
            answer = _read_answer(conn)
        except OSError:
            answer = None
    if answer is None:
        from maos_tui.domain import DomainError

        raise DomainError(
            f"the maos-tui process serving {ctx.workspace.root} stopped before answering; "
            "the command may or may not have run (see `maos-tui task list`)"
        )
    if answer.get("refused"):
        return None
    sys.stdout.write(str(answer.get("stdout", "")))
    sys.stderr.write(str(answer.get("stderr", "")))
    return int(answer.get("code", 1))


def is_ours(path: Path) -> bool:
    """Only a socket of ours, in a folder nobody else can enter, gets our commands."""
    try:
        sock, folder = path.lstat(), path.parent.lstat()
    except OSError:
        return False
    uid = os.getuid()
    return sock.st_uid == uid and folder.st_uid == uid and not folder.st_mode & 0o077


def _read_answer(conn: socket.socket) -> dict[str, Any] | None:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    try:
        found = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
