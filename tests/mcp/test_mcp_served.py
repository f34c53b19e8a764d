"""With `maos-tui run` open on the workspace, MCP calls run in that process (over the
socket served CLI commands use): the MCP server never opens the store itself, and the
change reaches the open board's WORKING.md."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client

from maos_tui.commands.context import Context
from maos_tui.mcp.backend import Backend
from maos_tui.mcp.server import Board, build
from tests.conftest import Cli
from tests.mcp.mcp_support import ok, refused, rows, stdio_client, wait_for
from tests.test_served_cli import serving  # noqa: F401  (the fixture)


def in_process_board(cli: Cli) -> tuple[Backend, Client]:
    ctx = Context(argparse.Namespace(workspace=str(cli.workspace)), env=cli.env())
    backend = Backend(ctx, "human")
    return backend, Client(build(Board(backend, 30, one_client=True)))


@pytest.mark.usefixtures("serving")
async def test_calls_go_through_the_open_board(cli: Cli) -> None:
    backend, client = in_process_board(cli)
    async with client:
        made = await ok(client, "create_task", title="Served over MCP")
        assert "unknown task" in await refused(client, "get_task", id="TASK-404")
        claimed = (await ok(client, "claim_task"))["task"]
        assert claimed["id"] == made["id"]
        await ok(client, "finish_task", id=made["id"], summary="done")
    assert backend.served_calls == 4
    assert backend._store is None, "the MCP server opened the store itself"
    working = cli.workspace / "WORKING.md"
    # Written by the `run` process, which followed its own bus.
    wait_for(lambda: "Served over MCP" in working.read_text(), "the board's WORKING.md")
    assert rows(cli.workspace, "SELECT status FROM tasks") == [("done",)]


def _mcp_servers_of(cli: Cli) -> list[Path]:
    """The /proc folders of the `maos-tui mcp` processes on this workspace."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(cli.workspace).encode() in argv and b"mcp" in argv:
            found.append(proc)
    return found


def _open_files(proc: Path) -> set[str]:
    names = set()
    for fd in (proc / "fd").iterdir():
        try:
            names.add(os.readlink(fd))
        except OSError:
            continue
    return names


@pytest.mark.usefixtures("serving")
async def test_a_subprocess_server_never_opens_the_store(cli: Cli) -> None:
    async with stdio_client(cli) as client:
        await ok(client, "create_task", title="Seen at once")
        await ok(client, "list_tasks")
        servers = _mcp_servers_of(cli)
        assert len(servers) == 1
        opened = _open_files(servers[0])
    assert not any("state.db" in name for name in opened), opened
    assert rows(cli.workspace, "SELECT actor, verb FROM activities") == [("human", "created")]


@pytest.mark.usefixtures("serving")
async def test_a_document_too_big_for_the_socket_is_written_here(cli: Cli) -> None:
    task_id = cli.ok("task", "add", "Big doc").strip()
    backend, client = in_process_board(cli)
    content = "é" * (1024 * 1024)  # 2 MB of UTF-8: more than one served request holds
    async with client:
        doc = await ok(client, "write_document", id=task_id, title="Big", content=content)
        await ok(client, "list_tasks")
    await backend.close()
    assert doc["version"] == 1
    assert backend.served_calls == 1  # the list; the document went through its own store
    stored = rows(cli.workspace, "SELECT length(content) FROM document_versions")
    assert stored == [(len(content),)]


_GC_PROBE = """
import argparse, asyncio, gc, sys
from maos_tui.commands import startup_gc
from maos_tui.commands.context import Context
from maos_tui.mcp.server import serve
startup_gc.pause()  # as `main` does for every command
ctx = Context(argparse.Namespace(workspace=sys.argv[1]))
asyncio.run(serve(ctx, "human", 30, None))  # stdin is empty: served, then ended
print("collecting:", gc.isenabled())
"""


@pytest.mark.usefixtures("serving")
def test_a_served_mcp_server_collects_garbage(cli: Cli) -> None:
    """Start-up pauses the collector until the store opens; a server whose calls are all
    served never opens it, and may run for days."""
    done = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, str(cli.workspace)],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(),
        cwd=cli.workspace,
    )
    assert "collecting: True" in done.stdout, done.stdout + done.stderr
