"""One MCP server connection: a program over stdio, or a streamable HTTP endpoint.

The SDK's client must be entered and left in one task, while the runs that call it come
and go: each connection lives in a task of its own (`_own`), and is stopped through that
task's cancel scope. What a failure says is masked with the values read for `${VAR}`s,
and a stdio server's stderr is kept to its last lines, to say why it failed. The `mcp`
SDK is imported only when a connection starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from maos_tui.agents.mcp_config import MissingVariable, ServerSpec, expand, mask

START_SECONDS = 30.0  # to connect and list the tools
STOP_SECONDS = 10.0  # the SDK closes stdin, then terminates, then kills within this
REASON_CHARS = 500


class Connection:
    """One server: connected by `start`, called by any run, stopped by `stop`."""

    def __init__(self, spec: ServerSpec, cwd: Path) -> None:
        self.spec = spec
        self.cwd = cwd
        self.tools: list[Any] = []
        self.problem: str | None = None  # why it is not up (no secret in it)
        self.tried_at = float("-inf")
        self._client: Any = None
        self._secrets: list[str] = []
        self._stop = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None
        self._scope: Any = None  # the owner's anyio cancel scope
        self._stderr: _StderrTail | None = None
        self._refused = ""  # the last HTTP error status the server answered with

    @property
    def up(self) -> bool:
        return self._client is not None

    async def start(self) -> None:
        """Connect and list the tools; on failure, `problem` says why."""
        await self.stop()
        self._stop = asyncio.Event()
        self.problem, self.tools = None, []
        self.tried_at = asyncio.get_running_loop().time()
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Its failure is read by this start, unless the start has given up on it already.
        ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._owner = asyncio.create_task(self._own(ready), name=f"maos-mcp-{self.spec.name}")
        try:
            async with asyncio.timeout(START_SECONDS):
                await asyncio.shield(ready)
        except TimeoutError:
            self.problem = f"failed to start: no answer within {START_SECONDS:g} s"
            await self.stop()
        except _StartFailed as exc:
            self.problem = f"failed to start: {exc}"

    async def _own(self, ready: asyncio.Future[None]) -> None:
        import anyio

        try:
            # Stopped through this scope, not Task.cancel: the SDK's cleanup, which stops
            # the process, is shielded from anyio's cancellation only.
            with anyio.CancelScope() as self._scope:
                if self._stop.is_set():  # stopped before this task first ran
                    self._scope.cancel()
                async with self._connect() as client:
                    self.tools = await _list_tools(client)
                    self._client = client
                    ready.set_result(None)
                    await self._stop.wait()
            if not ready.done():
                ready.set_exception(_StartFailed("stopped while starting"))
        except Exception as exc:
            if self._stderr is not None:  # what it said before it went, if it said anything
                await self._stderr.ended(timeout=1.0)
            reason = self._describe(exc, server_gone=True)
            if not ready.done():
                ready.set_exception(_StartFailed(reason))
            elif self.problem is None:
                self.problem = f"stopped: {reason}"
        finally:
            self._client = None
            if self._stderr is not None:
                self._stderr.close()

    @contextlib.asynccontextmanager
    async def _connect(self) -> AsyncIterator[Any]:
        from mcp import Client

        _quiet_sdk_logs()
        self._secrets, self._refused, self._stderr = [], "", None
        if self.spec.url is not None:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            headers = expand(self.spec.headers, os.environ, self._secrets)
            # The SDK's own timeouts: a tool's answer may stream for minutes.
            timeout = httpx2.Timeout(30.0, read=300.0)
            hooks = {"response": [self._note_status]}  # the SDK's errors do not say it
            async with httpx2.AsyncClient(
                headers=headers, timeout=timeout, event_hooks=hooks
            ) as http:
                transport = streamable_http_client(self.spec.url, http_client=http)
                async with Client(transport) as client:
                    yield client
            return
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        command = self.spec.command or ("",)
        params = StdioServerParameters(
            command=command[0],
            args=list(command[1:]),
            env=expand(self.spec.env, os.environ, self._secrets),
            cwd=self.cwd,
        )
        self._stderr = await _StderrTail.open()
        try:
            async with Client(stdio_client(params, errlog=self._stderr.writer)) as c:
                self._stderr.spawned()
                yield c
        finally:
            self._stderr.spawned()

    async def _note_status(self, response: Any) -> None:
        if response.status_code >= 400:
            self._refused = f"HTTP {response.status_code} {response.reason_phrase}".strip()

    async def refresh(self) -> None:
        """List the tools again before a run: they may have changed, and a server gone is
        found here rather than by the model."""
        client = self._client
        if client is None:
            return
        try:
            self.tools = await _list_tools(client, cache_mode="refresh")
        except Exception as exc:
            if _connection_lost(exc):
                self._lost(self._describe(exc, server_gone=True))

    def _lost(self, reason: str) -> None:
        self.problem = f"stopped: {reason}"
        self._client = None
        self._stop.set()

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """The tool's answer as the model reads it; an error it can read if the call fails."""
        from maos_tui.agents.mcp_tools import reply_text

        label = f"{self.spec.name}.{tool}"
        client = self._client
        if client is None:
            return f"error: {label}: MCP server {self.spec.name} {self.problem or 'is not running'}"
        self._refused = ""
        try:
            result = await client.call_tool(tool, arguments)
        except Exception as exc:
            lost = _connection_lost(exc)
            reason = self._describe(exc, server_gone=lost)
            if lost:
                self._lost(reason)
                return (
                    f"error: {label}: MCP server {self.spec.name} stopped ({reason}); "
                    "its tools are unavailable for the rest of this run"
                )
            return f"error: {label}: {reason}"
        return mask(reply_text(result), self._secrets)

    async def stop(self) -> None:
        owner, self._owner = self._owner, None
        if owner is None:
            return
        self._stop.set()
        if self._client is None and self._scope is not None:
            self._scope.cancel()  # still connecting: nothing to close politely
        done, _ = await asyncio.wait([owner], timeout=STOP_SECONDS)
        if not done:  # the SDK's own steps are bounded: this is a last resort
            owner.cancel()
            await asyncio.wait([owner])

    def _describe(self, exc: BaseException, *, server_gone: bool) -> str:
        """One secret-free line: the innermost error, and what a server gone last said."""
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        if isinstance(exc, MissingVariable):
            return str(exc)
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        said = self._stderr.last() if self._stderr is not None and server_gone else ""
        if said:
            reason += f" (stderr: {said})"
        if self._refused:
            reason += f" ({self._refused})"
        return mask(reason, self._secrets)[:REASON_CHARS]


class _StartFailed(Exception):
    pass


def _connection_lost(exc: BaseException) -> bool:
    """Whether a failed call lost the server, rather than being refused by it (an unknown
    tool, bad arguments, an answer of the wrong shape)."""
    from mcp import MCPError
    from mcp_types import CONNECTION_CLOSED
    from pydantic import ValidationError

    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return exc.code == CONNECTION_CLOSED
    return not isinstance(exc, ValidationError)


async def _list_tools(client: Any, cache_mode: str = "use") -> list[Any]:
    tools, cursor = [], None
    for _page in range(100):  # a server paging forever must not hang the start
        listed = await client.list_tools(cursor=cursor, cache_mode=cache_mode)
        tools += listed.tools
        cursor = listed.next_cursor
        if cursor is None:
            break
    return tools


class _StderrTail(asyncio.Protocol):
    """The last lines a stdio server wrote to stderr: they say why it failed. A pipe read
    as it is written, so a chatty server fills neither the terminal nor a disk."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=5)
        self._partial = b""
        self._transport: asyncio.BaseTransport | None = None
        self._ended = asyncio.Event()
        self.writer: Any = None

    @classmethod
    async def open(cls) -> _StderrTail:
        tail = cls()
        read, write = os.pipe()
        tail.writer = os.fdopen(write, "w")
        loop = asyncio.get_running_loop()
        tail._transport, _ = await loop.connect_read_pipe(lambda: tail, os.fdopen(read, "rb"))
        return tail

    def spawned(self) -> None:
        """The child has its copy of the pipe (or never will): ours would hold it open."""
        if self.writer is not None and not self.writer.closed:
            self.writer.close()

    def data_received(self, data: bytes) -> None:
        *lines, rest = (self._partial + data).split(b"\n")
        self._partial = rest[-2000:]
        for line in lines:
            if line.strip():
                self.lines.append(line.decode(errors="replace").strip()[:200])

    def connection_lost(self, exc: Exception | None) -> None:
        self.data_received(b"\n")  # a last line without its newline
        self._ended.set()

    async def ended(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._ended.wait()

    def last(self) -> str:
        return self.lines[-1] if self.lines else ""

    def close(self) -> None:
        self.spawned()
        if self._transport is not None:
            self._transport.close()


def _quiet_sdk_logs() -> None:
    """The SDK and its HTTP client log requests and server output: not for the terminal,
    where the board or `run`'s own lines are."""
    for name in ("mcp.client", "mcp.shared", "httpx2"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
