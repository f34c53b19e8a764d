"""The serving side of `maos_tui.commands.remote`: the TUI and `maos-tui run` answer task
commands from the CLI through their own open store."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui import __version__
from maos_tui.commands.context import Context
from maos_tui.commands.remote import CONNECT_SECONDS, SERVED_COMMANDS, socket_path
from maos_tui.config import Config, Workspace
from maos_tui.printable import printable

if TYPE_CHECKING:
    from maos_tui.store import Store

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024


def _private_folder(folder: Path) -> None:
    """Create (or accept) a folder only we can enter: the socket's only access control."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not folder.is_dir():
        raise OSError(f"{folder} is not a private folder of this user")


class ServedContext(Context):
    """A command's context inside the serving process: its store, workspace and config,
    and output captured for the client."""

    stdlib_allowed = False

    def __init__(self, args: argparse.Namespace, server: CommandServer) -> None:
        super().__init__(args, env={})
        self.server = server
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()

    @property  # type: ignore[override]
    def workspace(self) -> Workspace:
        return self.server.workspace

    @property  # type: ignore[override]
    def config(self) -> Config:
        return self.server.config

    @property
    def db_url(self) -> str:
        return self.server.store.url

    @asynccontextmanager
    async def store(self, *, writes: bool = False, create: bool = False) -> AsyncIterator[Store]:
        # No rewrite after writes: this process's WORKING.md sync follows its bus.
        yield self.server.store

    def write_line(self, line: str) -> None:
        self.stdout.write(f"{line}\n")

    def warn(self, line: str) -> None:
        self.stderr.write(f"warning: {printable(line, keep_newlines=True)}\n")


class CommandServer:
    def __init__(self, store: Store, workspace: Workspace, config: Config) -> None:
        self.store = store
        self.workspace = workspace
        self.config = config
        self.path = socket_path(workspace)
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Serve, unless another live process already does (one server is enough) or the
        store is not the workspace's own database (the CLI would not send to it)."""
        if self.store.url != self.workspace.default_db_url():
            return
        _private_folder(self.path.parent)
        if self.path.exists() or self.path.is_symlink():
            if await _answers(self.path):
                return
            self.path.unlink()
        self._server = await asyncio.start_unix_server(
            self._serve, path=os.fspath(self.path), limit=MAX_REQUEST_BYTES
        )
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            answer = await self._answer(await reader.readline())
            writer.write(json.dumps(answer).encode("utf-8"))
            await writer.drain()
        except (OSError, ValueError) as exc:  # a client that went away, an oversized line
            log.warning("CLI request failed: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        request = json.loads(line or b"null")
        if not isinstance(request, dict) or request.get("version") != __version__:
            return {"refused": "another maos-tui version"}
        if "mcp" in request:  # a call from `maos-tui mcp` (maos_tui/mcp/backend.py)
            from maos_tui.mcp.served import answer

            return await answer(self.store, self.workspace, self.config, request["mcp"])
        argv = request.get("argv")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            return {"refused": "malformed request"}
        return await self.run(argv)

    async def run(self, argv: list[str]) -> dict[str, Any]:
        from maos_tui.cli import build_parser, command_name, user_error

        if command_name(argv) not in SERVED_COMMANDS:
            return {"refused": "not a served command"}
        try:
            args = build_parser(argv).parse_args(argv)
        except SystemExit:
            return {"refused": "the client checks usage itself"}
        ctx = ServedContext(args, self)
        try:
            code = int(await args.handler(ctx, args) or 0)
        except Exception as exc:
            message = user_error(exc)
            if message is None:
                log.exception("served command %s failed", argv)
                message = f"{type(exc).__name__}: {exc}"
            ctx.stderr.write(f"error: {message}\n")
            code = 1
        return {"code": code, "stdout": ctx.stdout.getvalue(), "stderr": ctx.stderr.getvalue()}


async def _answers(path: Path) -> bool:
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(os.fspath(path)), CONNECT_SECONDS
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
