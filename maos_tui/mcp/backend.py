"""Where an MCP call runs: in the process serving the board when one is open, else here.

When the TUI or `maos-tui run` is open on the workspace, it listens on the socket served
CLI commands use (commands/remote.py); a call sent there runs on its store, so its board
and WORKING.md see the change at once and no second writer competes with it. Asked anew
for every call: a TUI opened or closed while the MCP server runs is followed. With nobody
serving, the store is opened here, once, and kept open. No scheduler is ever started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import TYPE_CHECKING, Any

from maos_tui import __version__
from maos_tui.commands.remote import CONNECT_SECONDS, is_ours, socket_path
from maos_tui.commands.server import MAX_REQUEST_BYTES
from maos_tui.mcp.ops import READ_ONLY, Call, CallFailed, perform

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.store import Store

_ANSWER_SECONDS = 120.0
_MAX_ANSWER_BYTES = 64 * 1024 * 1024


class Backend:
    def __init__(self, ctx: Context, caller: str) -> None:
        self.ctx = ctx
        self.caller = caller
        self._store: Store | None = None
        self._opening = asyncio.Lock()
        self.served_calls = 0

    async def call(self, name: str, args: dict[str, Any], claims: list[int]) -> dict[str, Any]:
        """The operation's result; CallFailed with the one-line message for bad input.
        `claims` (this client's claim runs) is updated in place."""
        sent = list(claims)
        request = {"op": name, "args": args, "caller": self.caller, "claims": sent}
        answer = await self._served(request)
        if answer is None:
            call = Call(self.caller, args, self.ctx.config, self.ctx.workspace, list(sent))
            store = await self._local()
            try:
                return await perform(store, name, call)
            finally:
                _update(claims, sent, call.claims)
                if name not in READ_ONLY:
                    # As after a CLI command: no open board follows this commit.
                    from maos_tui.commands.working import rewrite_after_command

                    await rewrite_after_command(self.ctx, store)
        self.served_calls += 1
        if "error" in answer:
            raise CallFailed(str(answer["error"]))
        _update(claims, sent, [int(c) for c in answer.get("claims", [])])
        result = answer.get("result")
        return result if isinstance(result, dict) else {}

    async def _local(self) -> Store:
        async with self._opening:
            if self._store is None:
                self._store = await self.ctx.open_store()
            return self._store

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()

    async def _served(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The serving process's answer, or None when nobody serves this workspace. Once
        sent, a request is never run here as well: a server that dies before answering
        is reported."""
        if not self.ctx.uses_default_db:
            return None
        path = socket_path(self.ctx.workspace)
        line = json.dumps({"version": __version__, "mcp": request}, ensure_ascii=False)
        encoded = line.encode("utf-8") + b"\n"
        # Beyond what the serving process reads in one request (a big document): written
        # here, and the open board sees the commit as it sees any other process's.
        if len(encoded) >= MAX_REQUEST_BYTES or not is_ours(path):
            return None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(os.fspath(path), limit=_MAX_ANSWER_BYTES),
                CONNECT_SECONDS,
            )
        except (OSError, TimeoutError):
            return None  # left behind by a process that died
        try:
            writer.write(encoded)
            await writer.drain()
            writer.write_eof()
            raw = await asyncio.wait_for(reader.read(), _ANSWER_SECONDS)
        except (OSError, TimeoutError):
            raw = b""
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise CallFailed(
                f"the maos-tui process serving {self.ctx.workspace.root} stopped before "
                "answering; the call may or may not have run"
            )
        if answer.get("refused"):
            return None
        return answer


def _update(claims: list[int], sent: list[int], now: list[int]) -> None:
    """Apply what one call changed to the client's claims: calls of one client may run
    at the same time, and each saw the list as it was when it started."""
    ended = set(sent) - set(now)
    claims[:] = [c for c in claims if c not in ended]
    claims.extend(c for c in now if c not in sent and c not in claims)
