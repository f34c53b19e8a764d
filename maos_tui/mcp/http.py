"""`maos-tui mcp --http`: the SDK's streamable HTTP app behind a bearer-token check.

The check wraps the whole ASGI app, so a request without the token reaches nothing of
the SDK: no session is made, no tool runs."""

from __future__ import annotations

import hmac
import ipaddress
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from maos_tui.mcp.token import read_or_create

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from maos_tui.commands.context import Context

DEFAULT_PORT = 8765
PATH = "/mcp"
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class HttpOptions:
    host: str
    port: int


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """ASGI middleware: HTTP requests need `Authorization: Bearer <token>`, else 401."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode("ascii")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = json.dumps({"error": "missing or wrong bearer token"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="maos-tui"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: dict[str, Any]) -> bool:
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = value
                break
        return hmac.compare_digest(given, self._expected)


async def serve_http(server: MCPServer, ctx: Context, options: HttpOptions) -> None:
    import uvicorn

    token = read_or_create(ctx.workspace.maos_dir)
    app = BearerAuth(server.streamable_http_app(host=options.host), token)
    config = uvicorn.Config(
        app, host=options.host, port=options.port, log_level="warning", lifespan="on"
    )
    host = f"[{options.host}]" if ":" in options.host else options.host
    print(
        f"maos-tui MCP on http://{host}:{options.port}{PATH} "
        "(`maos-tui mcp --show-token` prints the bearer token)",
        file=sys.stderr,
        flush=True,
    )
    await uvicorn.Server(config).serve()
