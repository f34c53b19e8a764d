"""claim_task under contention and when its client dies: real `maos-tui mcp` processes
on one SQLite file."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
from datetime import datetime

from maos_tui.store import Store
from tests.conftest import Cli
from tests.mcp.mcp_support import ok, rows, stdio_client, wait_for

CLIENTS = 8
TASKS = 100


async def test_concurrent_clients_never_get_the_same_task(cli: Cli, store: Store) -> None:
    cli.ok("init")
    for n in range(TASKS):
        await store.tasks.create(f"task {n}")

    async def drain(index: int) -> list[str]:
        taken: list[str] = []
        async with stdio_client(cli) as client:
            while (task := (await ok(client, "claim_task"))["task"]) is not None:
                taken.append(task["id"])
        return taken

    per_client = await asyncio.gather(*(drain(i) for i in range(CLIENTS)))
    everything = [tid for taken in per_client for tid in taken]
    assert len(everything) == TASKS and len(set(everything)) == TASKS
    assert sum(1 for taken in per_client if taken) > 1, "the claims never overlapped in time"
    claims = rows(cli.workspace, "SELECT task_id FROM runs WHERE kind = 'claim'")
    assert sorted(r[0] for r in claims) == sorted(everything)  # each exactly once
    statuses = rows(cli.workspace, "SELECT status, count(*) FROM tasks GROUP BY status")
    assert statuses == [("in_progress", TASKS)]


# A client that claims one task, says which, then waits to be killed.
_CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys
    from mcp import Client, StdioServerParameters

    async def main():
        params = StdioServerParameters(
            command=sys.argv[2], args=sys.argv[3:], env=json.loads(sys.argv[1])
        )
        async with Client(params) as client:
            result = await client.call_tool("claim_task", {})
            print(result.structured_content["task"]["id"], flush=True)
            await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def _claim_in_a_client(cli: Cli, *args: str) -> tuple[subprocess.Popen[str], str]:
    import json

    proc = subprocess.Popen(
        [sys.executable, "-c", _CLIENT, json.dumps(cli.env()), *cli.argv("mcp", *args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cli.workspace,
        env=cli.env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    task_id = proc.stdout.readline().strip()
    assert task_id.startswith("TASK-"), proc.stderr.read() if proc.stderr else ""
    return proc, task_id


def _status(cli: Cli, task_id: str) -> str:
    return rows(cli.workspace, "SELECT status FROM tasks WHERE id = ?", task_id)[0][0]


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


async def test_a_claim_whose_client_is_killed_returns_to_the_inbox(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "claude", "--command", "true", "--heartbeat", "1")
    task_id = cli.ok("task", "add", "Abandoned").strip()
    proc, claimed = _claim_in_a_client(cli, "--as", "claude")
    try:
        assert claimed == task_id and _status(cli, task_id) == "in_progress"
        # While its client lives, the stdio server refreshes the claim on its own.
        started = rows(cli.workspace, "SELECT started_at FROM runs WHERE kind = 'claim'")[0][0]

        def refreshed() -> bool:
            beat = rows(cli.workspace, "SELECT last_progress_at FROM runs WHERE kind = 'claim'")
            return _parse(beat[0][0]) > _parse(started)

        wait_for(refreshed, "a heartbeat of the live claim")
    finally:
        proc.send_signal(signal.SIGKILL)  # the client only: its server sees stdin close
        proc.wait()
    async with stdio_client(cli) as other:
        deadline = asyncio.get_running_loop().time() + 120
        while _status(cli, task_id) != "inbox":
            assert asyncio.get_running_loop().time() < deadline, "the claim was never released"
            await ok(other, "list_tasks")  # any call sweeps claims gone quiet
            await asyncio.sleep(0.2)
    run = rows(cli.workspace, "SELECT outcome, error FROM runs WHERE kind = 'claim'")[0]
    assert run[0] == "stalled" and "no heartbeat" in run[1]
    assert rows(cli.workspace, "SELECT count(*) FROM task_assignees") == [(0,)]
