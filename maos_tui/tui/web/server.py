"""textual-serve's Server behind the token guard, run inside the command's event loop.

The subclass changes three things: the guard as a middleware of its aiohttp app, the
page's websocket address taken from the address the browser used (textual-serve builds it
from the bind address, which a browser cannot reach when that is 0.0.0.0), and its own
start-up banner left out (the command prints the URL with the token). Serving is done
here rather than by `Server.serve`, which owns the loop and prints nothing until it binds:
the URL is printed once the port is really listened on, and a busy port is one error line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web
from textual_serve.server import Server

from maos_tui.domain import DomainError
from maos_tui.tui.web.auth import Handler, is_websocket, token_guard

_SESSIONS = web.AppKey("maos_sessions", set)


class GuardedServer(Server):
    def __init__(self, command: str, *, host: str, port: int, token: str, title: str) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app[_SESSIONS] = set()
        app.middlewares.append(token_guard(self.token))
        app.middlewares.append(_track_sessions)
        return app

    async def handle_index(self, request: web.Request) -> Any:
        # The handler reads public_url without awaiting first: no other request sees it.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def on_startup(self, app: web.Application) -> None:
        """No banner: the command prints the URL."""

    async def on_shutdown(self, app: web.Application) -> None:
        """textual-serve leaves open websockets to aiohttp's shutdown timeout; ending their
        handlers now makes each one tell its app process to quit, and wait for it."""
        for task in app[_SESSIONS]:
            task.cancel()


@web.middleware
async def _track_sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_websocket(request):
        return await handler(request)
    task = asyncio.current_task()
    assert task is not None
    sessions = request.app[_SESSIONS]
    sessions.add(task)
    try:
        return await handler(request)
    finally:
        sessions.discard(task)


async def serve(server: GuardedServer, on_listening: Callable[[int], None]) -> None:
    """Serve until SIGINT or SIGTERM; `on_listening` gets the port (useful with port 0)."""
    runner = web.AppRunner(await server._make_app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, server.host, server.port)
        try:
            await site.start()
        except OSError as exc:
            # asyncio's message repeats the address; the errno's own text does not.
            why = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise DomainError(f"cannot listen on {server.host}:{server.port}: {why}") from None
        on_listening(runner.addresses[0][1])
        await _until_stopped()
    finally:
        await runner.cleanup()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):
                loop.remove_signal_handler(signum)
