"""`maos-tui serve`: the board in a browser (maos_tui/tui/web/), behind the workspace's token."""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import sys
from typing import TYPE_CHECKING

from maos_tui.domain import DomainError

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# textual-serve and what it brings: without one of them, the extra is not (fully) there.
_WEB_MODULES = frozenset({"textual_serve", "aiohttp", "aiohttp_jinja2", "jinja2"})
INSTALL_HINT = "`maos-tui serve` needs the web extra: pip install 'maos-tui[web]'"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve the board to a browser (needs the web extra)",
        description="Serve the board to a browser, one app per tab, behind the workspace's "
        "token (in .maos/serve-token). Prints the URL to open.",
        parents=[common],
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind ({DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port to bind ({DEFAULT_PORT}; 0: any)"
    )
    parser.set_defaults(handler=serve)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {value}")
    return value


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """The host as a browser is told to reach it: a wildcard bind by this machine's name."""
    if host in {"", "0.0.0.0", "::"}:
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def app_command(ctx: Context, args: argparse.Namespace) -> str:
    """What textual-serve runs (through a shell) for each tab: this interpreter's app on
    this workspace and database."""
    argv = [sys.executable, "-m", "maos_tui", "--workspace", str(ctx.workspace.root)]
    if getattr(args, "db", None):
        argv += ["--db", args.db]
    return shlex.join(argv)


async def serve(ctx: Context, args: argparse.Namespace) -> int:
    try:
        from maos_tui.tui.web.server import GuardedServer, serve
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] in _WEB_MODULES:
            raise DomainError(INSTALL_HINT) from None
        raise
    from maos_tui.tokens import SERVE_TOKEN, workspace_token

    # Every tab opens this store: one that cannot be opened is said once, here.
    store = await ctx.open_store()
    await store.close()
    token = workspace_token(ctx.workspace, SERVE_TOKEN)
    if not is_loopback(args.host):
        ctx.warn(
            f"serving on {args.host}, reachable from other machines: anyone with the URL "
            "controls this workspace, and the connection is not encrypted (an SSH tunnel to "
            "127.0.0.1 avoids both)"
        )
    server = GuardedServer(
        app_command(ctx, args),
        host=args.host,
        port=args.port,
        token=token,
        title=f"maos-tui · {ctx.workspace.name}",
    )

    def listening(port: int) -> None:
        ctx.out(
            f"Serving {ctx.workspace.root} at http://{url_host(args.host)}:{port}/?token={token}"
        )
        ctx.out("Open that URL in a browser; Ctrl+C stops.")
        sys.stdout.flush()

    await serve(server, listening)
    return 0
