"""With the TUI open (its scheduler and command server running), an MCP write is made by
the TUI's own process and its card appears on the board."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fakes.support import until
from mcp import Client

from maos_tui.commands.context import Context
from maos_tui.commands.remote import socket_path
from maos_tui.config import Workspace, load_config
from maos_tui.mcp.backend import Backend
from maos_tui.mcp.server import Board, build
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from tests.mcp.mcp_support import ok
from tests.test_served_cli import answering


def _card_ids(app: MaosApp, status: str) -> list[str]:
    from maos_tui.tui.widgets.board import TaskList

    column = app.main_screen.query_one(f"#list-{status}", TaskList)
    return [option.id for option in column.options if option.id]


async def test_an_mcp_write_shows_on_the_open_board(workspace: Path, store: Store) -> None:
    ws = Workspace(workspace)
    app = MaosApp(ws, load_config(ws), store=store)
    async with app.run_test(size=(120, 32)):
        await until(lambda: app.services is not None, message="the TUI's services never started")
        await until(lambda: answering(socket_path(ws)), message="the TUI never served commands")
        ctx = Context(argparse.Namespace(workspace=str(workspace)), env=dict(os.environ))
        backend = Backend(ctx, "human")
        async with Client(build(Board(backend, 30, one_client=True))) as client:
            made = await ok(client, "create_task", title="From the coding agent")
        assert backend.served_calls == 1
        await until(
            lambda: made["id"] in _card_ids(app, "inbox"), message="the card never appeared"
        )
