"""Driving `maos-tui mcp` in tests: a real subprocess, through the SDK's own client."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from tests.conftest import Cli


def stdio_client(cli: Cli, *args: str, **env: str) -> Client:
    """A client of `maos-tui mcp ARGS` started as a subprocess on the test workspace (the
    child sees only the environment passed here)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "maos_tui", "--workspace", str(cli.workspace), "mcp", *args],
        env=cli.env(**env),
        cwd=str(cli.workspace),
    )
    return Client(params, read_timeout_seconds=120)


async def ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """A call that must succeed: its structured content."""
    result = await client.call_tool(tool, args)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool}({args}) failed: {text}"
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


async def refused(client: Client, tool: str, **args: Any) -> str:
    """A call that must fail as a tool error with one line and no traceback: that line."""
    result = await client.call_tool(tool, args)
    assert result.is_error, f"{tool}({args}) should have failed: {result.structured_content}"
    text = result.content[0].text
    assert "\n" not in text.strip() and "Traceback" not in text, text
    return text


def rows(workspace: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(workspace / ".maos" / "state.db")
    try:
        return list(con.execute(sql, params))
    finally:
        con.close()


def tools_list_json(listed: Any) -> str:
    return json.dumps(listed.model_dump(mode="json", by_alias=True, exclude_none=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Any, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def http_server(cli: Cli, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`maos-tui mcp --http` on a free loopback port: (its URL, the process)."""
    port = free_port()
    proc = subprocess.Popen(
        [*cli.argv("mcp", "--http", "--port", str(port)), *args],
        env=cli.env(),
        cwd=cli.workspace,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def listening() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, "the MCP HTTP server to listen")
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
