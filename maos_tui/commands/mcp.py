"""`maos-tui mcp`: serve the board to a coding agent over MCP (stdio, or HTTP with a
token). The SDK is imported only once the checks passed."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from maos_tui.domain import DEFAULT_HEARTBEAT_SECONDS, HUMAN

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

LOOPBACK = "127.0.0.1"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    mcp = sub.add_parser(
        "mcp", help="serve the board to a coding agent over MCP (stdio)", parents=[common]
    )
    mcp.set_defaults(handler=run_mcp)
    mcp.add_argument(
        "--as",
        dest="caller",
        metavar="AGENT",
        help="the registered agent calling (default: $MAOS_AGENT, else the human)",
    )
    mcp.add_argument("--http", action="store_true", help="serve streamable HTTP instead")
    mcp.add_argument("--host", help=f"address to listen on with --http (default {LOOPBACK})")
    mcp.add_argument("--port", type=int, metavar="N", help="port for --http (default 8765)")
    mcp.add_argument("--show-token", action="store_true", help="print the --http bearer token")


async def run_mcp(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.domain import DomainError
    from maos_tui.mcp.http import DEFAULT_PORT, HttpOptions, is_loopback

    if not args.http and (args.host is not None or args.port is not None):
        raise DomainError("--host and --port need --http")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise DomainError(f"--port must be from 0 to 65535, not {args.port}")
    ctx.refuse_missing_workspace(create=False)
    if args.show_token:
        from maos_tui.mcp.token import read_or_create

        ctx.write_line(read_or_create(ctx.workspace.maos_dir))
        return 0
    caller = args.caller or ctx.env.get("MAOS_AGENT") or HUMAN
    heartbeat = await _heartbeat_of(ctx, caller)
    http = None
    if args.http:
        host = args.host or LOOPBACK
        if not is_loopback(host):
            ctx.warn(
                f"serving MCP on {host}, reachable from other machines: anyone with the "
                "token can change this board"
            )
        http = HttpOptions(host, DEFAULT_PORT if args.port is None else args.port)
    from maos_tui.mcp.server import serve

    sys.stdout.flush()
    return await serve(ctx, caller, heartbeat, http)


async def _heartbeat_of(ctx: Context, caller: str) -> int:
    """The caller's heartbeat; an unknown agent is refused before anything is served."""
    if caller == HUMAN:
        return DEFAULT_HEARTBEAT_SECONDS
    async with ctx.reader() as store:
        agent = await store.agents.get(caller)
    return agent.heartbeat_seconds
