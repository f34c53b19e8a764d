"""`maos-tui mcp` start-up: identity, workspace discovery, flags; and what it imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli
from tests.mcp.mcp_support import ok, rows, stdio_client


def test_unknown_agent_is_refused_in_one_line(cli: Cli) -> None:
    cli.ok("init")
    assert cli.error("mcp", "--as", "ghost") == "error: unknown agent ghost"
    assert cli.error("mcp", MAOS_AGENT="ghost") == "error: unknown agent ghost"


def test_no_workspace_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    line = Cli(empty).error("mcp")
    assert "not a maos-tui workspace" in line
    assert not (empty / ".maos").exists()
    missing = Cli(tmp_path / "missing").error("mcp")
    assert "does not exist" in missing and not (tmp_path / "missing").exists()


def test_workspace_is_found_upwards_like_the_cli(cli: Cli) -> None:
    cli.ok("init")
    below = cli.workspace / "src" / "deep"
    below.mkdir(parents=True)
    env = {k: v for k, v in cli.env().items() if k != "MAOS_WORKSPACE"}
    done = subprocess.run(
        [sys.executable, "-m", "maos_tui", "mcp", "--show-token"],
        cwd=below,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (cli.workspace / ".maos" / "mcp-token").exists()


def test_flag_mistakes(cli: Cli) -> None:
    cli.ok("init")
    assert cli.error("mcp", "--port", "80") == "error: --host and --port need --http"
    assert "--port must be" in cli.error("mcp", "--http", "--port", "70000")


async def test_the_caller_is_recorded_and_human_by_default(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "codex", "--command", "true")
    async with stdio_client(cli) as client:
        await ok(client, "create_task", title="by the human")
    async with stdio_client(cli, MAOS_AGENT="codex") as client:
        await ok(client, "create_task", title="by codex")
    assert rows(cli.workspace, "SELECT title, created_by FROM tasks ORDER BY seq") == [
        ("by the human", "human"),
        ("by codex", "codex"),
    ]


def test_start_up_imports_neither_litellm_nor_textual(cli: Cli) -> None:
    """Up to the initialize answer and a first call: the server loads neither."""
    cli.ok("init")
    probe = (
        "import runpy, sys, atexit\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in ('litellm', 'textual') "
        "if m in sys.modules), file=sys.stderr))\n"
        "sys.argv = ['maos-tui', *sys.argv[1:]]\n"
        "runpy.run_module('maos_tui', run_name='__main__')\n"
    )
    request = (
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":'
        '"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'
        '{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_tasks",'
        '"arguments":{}}}\n'
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--workspace", str(cli.workspace), "mcp"],
        input=request,
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(),
        cwd=cli.workspace,
    )
    assert '"id":2' in done.stdout.replace(" ", ""), (done.stdout, done.stderr)
    assert "LOADED []" in done.stderr, done.stderr
    assert os.path.exists(cli.workspace / ".maos" / "state.db")


def _sdk_importers() -> set[str]:
    """The modules of maos_tui that import the `mcp` SDK, anywhere in their code."""
    import ast

    import maos_tui

    root = Path(maos_tui.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name == "mcp" or name.startswith("mcp.") for name in names):
                found.add(path.relative_to(root).as_posix())
    return found


def test_only_the_mcp_server_modules_import_the_sdk() -> None:
    """The board's process runs MCP calls (mcp/served.py, mcp/ops/) without the SDK."""
    outside = {
        name
        for name in _sdk_importers()
        if not name.startswith("agents/")
        and name not in {"mcp/server.py", "mcp/tools.py", "mcp/http.py"}
    }
    assert outside == set()


async def test_the_server_never_runs_a_scheduler(cli: Cli) -> None:
    """With nothing open, the MCP server writes to the store but starts no agent."""
    cli.ok("init")
    marker = cli.workspace / "ran"
    cli.ok("agent", "add", "worker", "--command", f"touch {marker}")
    async with stdio_client(cli) as client:
        made = await ok(client, "create_task", title="for the worker", assign=["worker"])
        # A scheduler would have started the worker on it by now.
        for _ in range(3):
            await ok(client, "list_tasks")
        shown = await ok(client, "get_task", id=made["id"])
    assert shown["status"] == "assigned"
    assert rows(cli.workspace, "SELECT count(*) FROM runs") == [(0,)]
    assert not marker.exists()
