"""LLM agents with MCP servers: real servers written here (a stdio subprocess, and one over
streamable HTTP on 127.0.0.1 that wants a header), the fake OpenAI server asking for their
tool, the scheduler running it all. The `${VAR}` secret has a name no generic scrubber
knows, so only the MCP client's own masking keeps it out of everything written."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Reply, text, tool_call
from fakes.support import PATIENCE, alive, make_scheduler, run_until_idle, until

from maos_tui.agents.llm import start_loading
from maos_tui.domain import TaskRecord, TaskStatus
from maos_tui.store import Store
from tests.conftest import Cli
from tests.test_imports import _PAINT_ONLY as PAINT_ONLY
from tests.test_imports import loaded_packages

MODEL = "openai/gpt-4o-mini"
SECRET = "xyzzy-open-sesame-77"  # under a variable name that looks like no secret
SECRET_VAR = "DICT_WORD_OF_POWER"

STDIO_SERVER = """
import os, sys, time
from pathlib import Path
from mcp.server import MCPServer

Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
if os.environ.get("FAIL_AT_START"):
    print("cannot start with " + os.environ["API_TOKEN"], file=sys.stderr, flush=True)
    sys.exit(2)
server = MCPServer("dictionary")


@server.tool()
def lookup(word: str) -> str:
    \"\"\"Look a word up in the dictionary.\"\"\"
    if word == "crash":
        os._exit(3)
    if word == "slowly":
        time.sleep(float(os.environ.get("SLOW_SECONDS", "0")))
    return f"{word} means 42 (said with {os.environ['API_TOKEN']})"


server.run()
"""

HTTP_SERVER = """
import socket, sys
from pathlib import Path
import anyio, uvicorn
from mcp.server import MCPServer

server = MCPServer("shouter")


@server.tool()
def shout(text: str) -> str:
    \"\"\"Say it louder.\"\"\"
    return text.upper() + "!"


app = server.streamable_http_app()
WANTED = ("Bearer " + sys.argv[2]).encode()


async def guarded(scope, receive, send):
    if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != WANTED:
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b"no"})
        return
    await app(scope, receive, send)


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
Path(sys.argv[1]).write_text(str(sock.getsockname()[1]))
config = uvicorn.Config(guarded, log_level="critical", lifespan="on")
anyio.run(uvicorn.Server(config).serve, [sock])
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    monkeypatch.setenv(SECRET_VAR, SECRET)
    with FakeOpenAI() as server:
        yield server


def toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or array of strings is valid TOML


def stdio_entry(tmp_path: Path, name: str = "dict", **env: str) -> str:
    script = tmp_path / "dictionary_server.py"
    script.write_text(STDIO_SERVER, encoding="utf-8")
    env = {"PID_FILE": str(tmp_path / f"{name}.pid"), "API_TOKEN": f"${{{SECRET_VAR}}}", **env}
    pairs = ", ".join(f"{k} = {toml(v)}" for k, v in env.items())
    return f"{{ name = {toml(name)}, command = {toml([sys.executable, str(script)])}, env = {{ {pairs} }} }}"


def agent_config(fake: FakeOpenAI, *entries: str) -> str:
    servers = "".join(f"  {entry},\n" for entry in entries)
    return (
        f'[[agents]]\nname = "researcher"\nmodel = "{MODEL}"\napi_base = "{fake.base_url}"\n'
        f"mcp_servers = [\n{servers}]\n"
    )


async def run_one_task(store: Store, workspace: Path, config: str) -> str:
    scheduler = make_scheduler(store, workspace, config)
    await store.agents.sync_config(scheduler.config.agents)
    task = await store.tasks.create("look up maos", assignees=["researcher"])
    await run_until_idle(scheduler, timeout=PATIENCE * 2)
    return task.id


@pytest.fixture
def dictionary_run(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI
) -> Callable[..., Awaitable[TaskRecord]]:
    """One task run by an agent with the stdio dictionary server, the model replying so."""

    async def run(*replies: Reply) -> TaskRecord:
        fake.script(*replies)
        config = agent_config(fake, stdio_entry(tmp_path))
        return await store.tasks.get(await run_one_task(store, workspace, config))

    return run


def offered(fake: FakeOpenAI, request: int = 0) -> dict[str, dict[str, object]]:
    return {t["function"]["name"]: t["function"] for t in fake.requests[request].body["tools"]}


def tool_replies(fake: FakeOpenAI, request: int) -> list[str]:
    return [m["content"] for m in fake.requests[request].body["messages"] if m["role"] == "tool"]


def stored_text(workspace: Path) -> str:
    """Every row of every table, as text: to look for what must never be stored."""
    with sqlite3.connect(workspace / ".maos" / "state.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(str(db.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


async def test_a_stdio_servers_tool_answer_reaches_the_model_and_the_server_stops_with_the_scheduler(
    store: Store,
    workspace: Path,
    tmp_path: Path,
    fake: FakeOpenAI,
    dictionary_run: Callable[..., Awaitable[TaskRecord]],
) -> None:
    task = await dictionary_run(
        tool_call("dict__lookup", word="maos"),
        tool_call("complete_task", summary="maos means 42"),
    )
    assert (task.status, task.result) == (TaskStatus.DONE, "maos means 42"), task.last_error
    tools = offered(fake)
    assert {"dict__lookup", "complete_task", "create_task"} <= set(tools)
    assert "[dict.lookup] Look a word up" in str(tools["dict__lookup"]["description"])
    assert tools["dict__lookup"]["parameters"]["properties"]["word"]["type"] == "string"  # type: ignore[index]
    [answer] = tool_replies(fake, 1)
    assert answer == "maos means 42 (said with [redacted])"
    [run] = await store.runs.for_task(task.id)
    assert "[tool] dict.lookup: maos means 42" in run.output_log
    # The `${VAR}` reached the server (it used it), and nothing else.
    assert SECRET not in json.dumps([r.body for r in fake.requests])
    assert SECRET not in stored_text(workspace)
    pid = int((tmp_path / "dict.pid").read_text())
    assert not alive(pid), "the MCP server outlived the scheduler"


async def test_a_server_is_started_once_and_shared_by_the_agents_runs(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI
) -> None:
    config = agent_config(fake, stdio_entry(tmp_path))
    scheduler = make_scheduler(store, workspace, config)
    await store.agents.sync_config(scheduler.config.agents)
    fake.default = tool_call("complete_task", summary="nothing to look up")
    for title in ("one", "two"):
        await store.tasks.create(title, assignees=["researcher"])
    await scheduler.start()
    try:
        await until(lambda: len(fake.requests) >= 2, message="the two runs never called the model")
        pid = int((tmp_path / "dict.pid").read_text())
        (tmp_path / "dict.pid").unlink()
        fake.script(tool_call("dict__lookup", word="again"))
        await store.tasks.create("three", assignees=["researcher"])
        await until(
            lambda: any("again means 42" in r.text() for r in fake.requests),
            message="the third run's tool call never got its answer",
        )
        assert alive(pid), "the first server was stopped between runs"
        assert not (tmp_path / "dict.pid").exists(), "a second server was started"
    finally:
        await scheduler.stop()
    assert not alive(pid)


async def test_an_http_server_gets_its_header_from_the_environment(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    wrong = "not-the-right-token-31"
    monkeypatch.setenv("DICT_OTHER_WORD", wrong)

    script, port_file = tmp_path / "shouter.py", tmp_path / "port"
    script.write_text(HTTP_SERVER, encoding="utf-8")
    server = subprocess.Popen([sys.executable, str(script), str(port_file), SECRET])
    try:
        await until(port_file.exists, message="the HTTP MCP server never started")
        await until(lambda: port_file.read_text().strip(), message="no port written")
        url = f"http://127.0.0.1:{port_file.read_text().strip()}/mcp"
        entries = [
            f'{{ name = "{name}", url = "{url}", headers = {{ Authorization = "Bearer ${{{var}}}" }} }}'
            for name, var in (("loud", SECRET_VAR), ("denied", "DICT_OTHER_WORD"))
        ]
        fake.script(
            tool_call("loud__shout", text="hello"),
            tool_call("complete_task", summary="shouted"),
        )
        task_id = await run_one_task(store, workspace, agent_config(fake, *entries))
    finally:
        server.kill()
        server.wait(timeout=PATIENCE)
    task = await store.tasks.get(task_id)
    assert task.status is TaskStatus.DONE, task.last_error
    assert tool_replies(fake, 1) == ["HELLO!"]
    [run] = await store.runs.for_task(task_id)
    assert "[tool] loud.shout: HELLO!" in run.output_log
    assert "denied__shout" not in offered(fake)  # refused with a 401: left out
    agent = await store.agents.get("researcher")
    assert (agent.status_reason or "").startswith("MCP server denied failed to start: ")
    assert (agent.status_reason or "").endswith("(HTTP 401 Unauthorized)")
    assert SECRET not in stored_text(workspace) and wrong not in stored_text(workspace)


async def test_servers_that_never_start_leave_the_agent_working_and_say_why(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNSET_DOCS_VAR", raising=False)
    entries = (
        stdio_entry(tmp_path, "failing", FAIL_AT_START="1"),
        '{ name = "nowhere", command = ["/nonexistent/mcp-server"] }',
        '{ name = "docs", url = "http://127.0.0.1:9/mcp", headers = { X = "${UNSET_DOCS_VAR}" } }',
    )
    fake.script(tool_call("complete_task", summary="done without them"))
    task_id = await run_one_task(store, workspace, agent_config(fake, *entries))

    task = await store.tasks.get(task_id)
    assert (task.status, task.result) == (TaskStatus.DONE, "done without them")
    assert not any("__" in name for name in offered(fake))
    agent = await store.agents.get("researcher")
    reason = agent.status_reason or ""
    assert reason.startswith("MCP server failing failed to start: ")
    assert "stderr: cannot start with [redacted]" in reason
    assert "nowhere failed to start: FileNotFoundError" in reason
    assert "docs failed to start: environment variable UNSET_DOCS_VAR is not set" in reason
    from maos_tui.tui.widgets.agent_bar import chip

    shown = chip(agent, None, task.updated_at, full=True).plain
    assert "(MCP server failing failed to start" in shown
    assert SECRET not in stored_text(workspace)


async def test_a_server_that_never_answers_is_left_out_and_stopped(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loaded first: its import, on a thread, would hold the loop up for much of the wait.
    await asyncio.wrap_future(start_loading())
    monkeypatch.setattr("maos_tui.agents.mcp_connection.START_SECONDS", 5.0)
    fake.script(tool_call("complete_task", summary="did not wait for it"))
    pid_file = tmp_path / "mute.pid"
    mute = ["/bin/sh", "-c", 'echo $$ > "$PID_FILE"; exec sleep 600']
    entry = (
        f"{{ name = 'mute', command = {toml(mute)}, env = {{ PID_FILE = {toml(str(pid_file))} }} }}"
    )
    config = agent_config(fake, entry)
    task = await store.tasks.get(await run_one_task(store, workspace, config))

    assert (task.status, task.result) == (TaskStatus.DONE, "did not wait for it")
    agent = await store.agents.get("researcher")
    assert agent.status_reason == "MCP server mute failed to start: no answer within 5 s"
    [run] = await store.runs.for_task(task.id)
    assert "[mcp] mute is left out: failed to start: no answer within 5 s" in run.output_log
    pid = int(pid_file.read_text())
    await until(lambda: not alive(pid), message="the server that never answered still runs")


async def test_a_long_tool_call_counts_as_progress(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI
) -> None:
    # Stalled after 3 heartbeats without progress: the call takes longer than that.
    config = agent_config(fake, stdio_entry(tmp_path, SLOW_SECONDS="5"))
    config = config.replace('model = "', 'heartbeat_seconds = 1\nmodel = "', 1)
    fake.script(
        tool_call("dict__lookup", word="slowly"),
        tool_call("complete_task", summary="waited for it"),
    )
    task = await store.tasks.get(await run_one_task(store, workspace, config))

    assert (task.status, task.result) == (TaskStatus.DONE, "waited for it"), task.last_error
    assert tool_replies(fake, 1) == ["slowly means 42 (said with [redacted])"]


async def test_a_server_that_dies_mid_run_gives_the_model_an_error_and_the_run_goes_on(
    store: Store, fake: FakeOpenAI, dictionary_run: Callable[..., Awaitable[TaskRecord]]
) -> None:
    task = await dictionary_run(
        tool_call("dict__lookup", wrong="argument"),
        tool_call("dict__lookup", word="crash"),
        tool_call("dict__lookup", word="again"),
        tool_call("complete_task", summary="went on without it"),
    )
    assert (task.status, task.result) == (TaskStatus.DONE, "went on without it"), task.last_error
    [refused] = tool_replies(fake, 1)  # a bad call is the model's to fix: the server stays
    assert refused.startswith("error: ") and "stopped" not in refused
    crashed = tool_replies(fake, 2)[-1]
    assert crashed.startswith("error: dict.lookup: MCP server dict stopped (")
    assert "its tools are unavailable for the rest of this run" in crashed
    assert tool_replies(fake, 3)[-1].startswith("error: dict.lookup: MCP server dict stopped")
    [run] = await store.runs.for_task(task.id)
    assert "[tool] dict.lookup: error: dict.lookup: MCP server dict stopped" in run.output_log


async def test_a_server_gone_is_left_out_of_the_next_run_and_shown_on_the_chip(
    store: Store, workspace: Path, tmp_path: Path, fake: FakeOpenAI
) -> None:
    scheduler = make_scheduler(store, workspace, agent_config(fake, stdio_entry(tmp_path)))
    await store.agents.sync_config(scheduler.config.agents)
    first = await store.tasks.create("crash it", assignees=["researcher"])
    fake.script(
        tool_call("dict__lookup", word="crash"),
        tool_call("complete_task", summary="crashed it"),
    )
    fake.default = tool_call("complete_task", summary="did without it")
    await store.tasks.create("then this", after=[first.id], assignees=["researcher"])
    await run_until_idle(scheduler, timeout=PATIENCE * 2)

    assert "dict__lookup" in offered(fake, 0)
    assert "dict__lookup" not in offered(fake, 2)  # the second run's first request
    agent = await store.agents.get("researcher")
    assert (agent.status_reason or "").startswith("MCP server dict stopped: ")


def test_agent_check_names_a_server_that_fails_without_its_secret(
    cli: Cli, tmp_path: Path, fake: FakeOpenAI
) -> None:
    fake.default = text("ok")
    entries = (stdio_entry(tmp_path), stdio_entry(tmp_path, "failing", FAIL_AT_START="1"))
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(agent_config(fake, *entries))
    line = cli.error("agent", "check", "researcher", **{SECRET_VAR: SECRET})
    assert "answered in" in line
    assert "MCP server dict: 1 tool(s), failing failed to start: " in line
    assert "cannot start with [redacted]" in line and SECRET not in line


def test_run_until_idle_uses_the_server_quietly_and_leaves_no_process(
    cli: Cli, tmp_path: Path, fake: FakeOpenAI
) -> None:
    fake.script(
        tool_call("dict__lookup", word="cli"),
        tool_call("complete_task", summary="looked it up from the CLI"),
    )
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(agent_config(fake, stdio_entry(tmp_path)))
    cli.ok("task", "add", "look it up", "--assign", "researcher")
    result = cli("run", "--until-idle", timeout=PATIENCE * 4)

    assert result.returncode == 0 and result.stderr == "", result.stderr
    [task] = json.loads(cli.ok("task", "list", "--json"))
    assert task["result"] == "looked it up from the CLI"
    assert tool_replies(fake, 1) == ["cli means 42 (said with [redacted])"]
    assert not alive(int((tmp_path / "dict.pid").read_text()))


def test_no_mcp_sdk_on_start_up_paths(cli: Cli, tmp_path: Path, fake: FakeOpenAI) -> None:
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(agent_config(fake, stdio_entry(tmp_path)))
    for command in (("task", "add", "Write the docs"), ("agent", "list")):
        loaded, _ = loaded_packages(cli, ("mcp", "litellm", "httpx2"), *command)
        assert loaded == [], command
    loaded, stderr = loaded_packages(cli, ("mcp", "httpx2"), **PAINT_ONLY)
    assert "first paint" in stderr and loaded == []
