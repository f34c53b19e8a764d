"""Build the MCP server and serve it over stdio or streamable HTTP.

Each client's claims (the claim runs it holds) are kept here: every call it makes
refreshes them, which is the claim's heartbeat. A stdio server has one client, for as
long as it runs, so it also refreshes them on a timer: its client is gone exactly when
the server is (stdin closes). An HTTP client is known only by its calls. Either way a
timer sweeps claims whose client went quiet (store/claims.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from maos_tui import __version__
from maos_tui.commands import startup_gc
from maos_tui.mcp.backend import Backend
from maos_tui.mcp.ops import CallFailed
from maos_tui.mcp.tools import register

if TYPE_CHECKING:
    from maos_tui.commands.context import Context as CommandContext

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "The maos-tui task board of this workspace. Take work with claim_task, report with "
    "post_message and write_document, end it with finish_task."
)
_ONE = "the client"


class Board:
    """The server's state: where calls run and what each client has claimed."""

    def __init__(self, backend: Backend, heartbeat_seconds: int, *, one_client: bool) -> None:
        self.backend = backend
        self.heartbeat_seconds = heartbeat_seconds
        self.one_client = one_client
        self.claims: dict[str, list[int]] = {}

    def client(self, ctx: Context | None) -> str:
        """Whose claims a call refreshes. Over HTTP, a session of the 2025 protocol is a
        client; 2026 requests carry no session, so they count as one client: the server's
        caller (`--as`), whichever program sends them."""
        if self.one_client or ctx is None:
            return _ONE
        return (ctx.headers or {}).get("mcp-session-id") or _ONE

    async def run(self, ctx: Context | None, name: str, args: dict[str, Any]) -> dict[str, Any]:
        claims = self.claims.setdefault(self.client(ctx), [])
        try:
            return await self.backend.call(name, args, claims)
        except CallFailed as exc:
            if ctx is None:
                raise ResourceError(str(exc)) from None
            raise ToolError(str(exc)) from None

    async def beat(self) -> None:
        """Refresh the one client's claims (stdio) and sweep those of dead clients."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            claims = self.claims.get(_ONE, []) if self.one_client else []
            try:
                await self.backend.call("heartbeat", {}, claims)
            except CallFailed as exc:
                log.warning("MCP heartbeat failed: %s", exc)


# Pydantic's detail: the error type, the rejected value (the caller's data) and a link.
_VALIDATION_NOISE = re.compile(r"\s*\[type=[^\]]*\]|\s*For further information visit \S+")


async def one_line_errors(ctx: Any, call_next: Any) -> Any:
    """A tool error is one line, as the CLI's are: the SDK's own argument checks
    (a string where a number goes) give pydantic's multi-line report otherwise."""
    result = await call_next(ctx)
    if ctx.method == "tools/call" and isinstance(result, dict) and result.get("isError"):
        for block in result.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "text":
                block["text"] = " ".join(_VALIDATION_NOISE.sub("", block["text"]).split())
    return result


def build(board: Board) -> MCPServer:
    server = MCPServer(
        "maos-tui",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        middleware=[one_line_errors],
    )
    register(server, board.run)
    return server


async def serve(ctx: CommandContext, caller: str, heartbeat_seconds: int, http: Any) -> int:
    """Serve until the client leaves (stdio) or the process is stopped (HTTP)."""
    backend = Backend(ctx, caller)
    board = Board(backend, heartbeat_seconds, one_client=http is None)
    server = build(board)
    # Its heavy modules are loaded: collect again (a served server never opens the store,
    # which is where other commands resume collection).
    startup_gc.resume()
    beat = asyncio.create_task(board.beat(), name="maos-mcp-heartbeat")
    try:
        if http is None:
            await server.run_stdio_async()
        else:
            from maos_tui.mcp.http import serve_http

            await serve_http(server, ctx, http)
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await backend.close()
        sys.stdout.flush()
    return 0
