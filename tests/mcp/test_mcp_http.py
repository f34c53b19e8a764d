"""`maos-tui mcp --http`: the SDK's client with the token works; without it, or with a
wrong one, every request gets a 401 and nothing runs."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime

import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import Cli
from tests.mcp.mcp_support import free_port, http_server, ok, rows, wait_for

_CREATE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "create_task", "arguments": {"title": "sneaked in"}},
}


def http_client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    return Client(transport, read_timeout_seconds=120)


def post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(_CREATE).encode(),
        headers={
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_show_token_makes_one_user_only_token(cli: Cli) -> None:
    cli.ok("init")
    token = cli.ok("mcp", "--show-token").strip()
    assert len(token) >= 32
    path = cli.workspace / ".maos" / "mcp-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli.ok("mcp", "--show-token").strip() == token  # made once
    path.chmod(0o644)
    assert "can be read by others" in cli.error("mcp", "--show-token")


async def test_the_token_opens_the_board(cli: Cli) -> None:
    cli.ok("init")
    token = cli.ok("mcp", "--show-token").strip()
    with http_server(cli) as (url, _proc):
        async with http_client(url, token) as client:
            made = await ok(client, "create_task", title="over http")
            listed = await ok(client, "list_tasks")
    assert [t["id"] for t in listed["tasks"]] == [made["id"]]


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_without_the_right_token_401_and_nothing_runs(cli: Cli, token: str | None) -> None:
    cli.ok("init")
    real = cli.ok("mcp", "--show-token").strip()
    with http_server(cli) as (url, _proc):
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        assert post(url, headers) == 401
        assert post(url, {"Authorization": real}) == 401  # the scheme is part of it
    assert rows(cli.workspace, "SELECT count(*) FROM tasks") == [(0,)]
    assert rows(cli.workspace, "SELECT count(*) FROM activities") == [(0,)]


async def test_the_sdk_client_with_a_wrong_token_gets_nothing(cli: Cli) -> None:
    cli.ok("init")
    # The SDK reports the refusal as an error of its own TaskGroup.
    with http_server(cli) as (url, _proc), pytest.raises(Exception, match="unhandled errors"):
        async with http_client(url, "nope") as client:
            await client.call_tool("create_task", {"title": "sneaked in"})
    assert rows(cli.workspace, "SELECT count(*) FROM tasks") == [(0,)]


def test_a_non_loopback_host_warns(cli: Cli) -> None:
    cli.ok("init")
    port = free_port()
    proc = subprocess.Popen(
        cli.argv("mcp", "--http", "--host", "0.0.0.0", "--port", str(port)),
        env=cli.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("warning: serving MCP on 0.0.0.0, reachable from other"), first
        wait_for(lambda: "maos-tui MCP on http://0.0.0.0" in proc.stderr.readline(), "banner")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_an_http_clients_calls_keep_its_claim(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "codex", "--command", "true", "--heartbeat", "1")
    cli.ok("agent", "pause", "codex")
    task_id = cli.ok("task", "add", "Kept over HTTP").strip()
    token = cli.ok("mcp", "--show-token").strip()

    def claim_age() -> float:
        """Seconds from the claim to its latest heartbeat."""
        [(started, beat)] = rows(cli.workspace, "SELECT started_at, last_progress_at FROM runs")
        return (datetime.fromisoformat(beat) - datetime.fromisoformat(started)).total_seconds()

    with http_server(cli, "--as", "codex") as (url, _proc):
        async with http_client(url, token) as client:
            assert (await ok(client, "claim_task"))["task"]["id"] == task_id
            deadline = time.monotonic() + 120
            # Its calls refresh the claim past 3 heartbeats, and nothing releases it.
            while claim_age() < 4:
                assert time.monotonic() < deadline, "the claim was never refreshed"
                await ok(client, "list_tasks")
                status = rows(cli.workspace, "SELECT status FROM tasks")[0][0]
                assert status == "in_progress", "released while its client kept calling"
                await asyncio.sleep(0.2)
