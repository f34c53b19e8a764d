"""`maos-tui run` and `agent check` as real subprocesses: activity lines, the workspace lock,
SIGTERM, `kill -9` recovery, and no API key anywhere on disk or in the output."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from fakes.openai_server import FakeOpenAI, Received, Reply, error, tool_call
from fakes.support import alive

from maos_tui.config import Workspace
from maos_tui.scheduler import scheduler_holder

AGENTS = Path(__file__).parent.parent / "fakes" / "agents"
SECRET = "sk-test-SECRET"


def command_agent(name: str, script: str, *args: str, extra: str = "") -> str:
    argv = json.dumps([sys.executable, str(AGENTS / script), *args])
    return f'[[agents]]\nname = "{name}"\ncommand = {argv}\n{extra}\n'


def configure(workspace: Path, text: str) -> None:
    (workspace / ".maos").mkdir(exist_ok=True)
    (workspace / ".maos" / "config.toml").write_text(text, encoding="utf-8")


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def tasks(cli) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {t["id"]: t for t in json.loads(cli.ok("task", "list", "--json"))}


def test_run_until_idle_prints_activities_and_finishes(cli, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    configure(workspace, command_agent("scripted", "report.py"))
    cli.ok("task", "add", "write the report")
    result = cli("run", "--until-idle", REPORT_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.endswith("scripted started TASK-001") for line in lines), lines
    assert any("scripted completed TASK-001" in line for line in lines), lines
    assert tasks(cli)["TASK-001"]["status"] == "done"
    assert tasks(cli)["TASK-001"]["result"] == "handled write the report"

    as_json = cli("run", "--until-idle", "--json", REPORT_DIR=str(tmp_path))
    assert as_json.returncode == 0 and as_json.stdout == ""  # nothing left to do


def test_second_scheduler_is_refused_and_sigterm_requeues(cli, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    pids = tmp_path / "pids"
    configure(workspace, command_agent("stubborn", "stubborn.py", str(pids)))
    cli.ok("task", "add", "never ends")
    first = subprocess.Popen(
        cli.argv("run"), env=cli.env(), cwd=workspace, stdout=subprocess.PIPE, text=True
    )
    try:
        wait_for(pids.exists)
        holder = scheduler_holder(Workspace(workspace))
        assert holder == first.pid
        line = cli.error("run", "--until-idle")
        assert line == (
            f"error: a scheduler is already running for this workspace (pid {first.pid}); "
            "stop it first or use that one"
        )
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=10) == 0
    finally:
        first.kill()
    parent, child = map(int, pids.read_text().split())
    assert not alive(parent) and not alive(child)
    task = tasks(cli)["TASK-001"]
    assert (task["status"], task["retry_count"], task["assignees"]) == ("inbox", 0, [])
    assert scheduler_holder(Workspace(workspace)) is None


def test_kill_9_mid_run_then_restart_finishes_everything_once(cli, workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    ticks = tmp_path / "ticks"
    config = command_agent("ticker", "ticker.py", str(ticks), extra="max_concurrent = 2")
    configure(workspace, config + "[scheduler]\nretry_base_seconds = 0\n")
    for number in range(4):
        cli.ok("task", "add", f"job {number}")
    doomed = subprocess.Popen(
        cli.argv("run"), env=cli.env(), cwd=workspace, stdout=subprocess.DEVNULL
    )
    wait_for(lambda: ticks.exists() and len(ticks.read_text().splitlines()) >= 6)
    doomed.kill()  # SIGKILL: no cleanup at all
    doomed.wait(timeout=10)

    result = cli("run", "--until-idle", timeout=60)
    assert result.returncode == 0, result.stderr
    final = tasks(cli)
    assert {t["status"] for t in final.values()} == {"done"}
    assert sum(t["retry_count"] for t in final.values()) >= 1  # the interrupted ones count

    spans: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for line in ticks.read_text().splitlines():
        task_id, pid, moment = line.split()
        spans[task_id][int(pid)].append(float(moment))
    assert set(spans) == set(final)
    for task_id, by_pid in spans.items():
        ranges = sorted((min(ts), max(ts)) for ts in by_pid.values())
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert end < start, f"{task_id} ran in two processes at once: {ranges}"


def test_no_api_key_lands_on_disk_or_in_output(cli, workspace) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    answers = iter([None])

    def leaky(request: Received) -> Reply:
        # A provider error that echoes the request's Authorization header back.
        if next(answers, "done") is None:
            return error(500, f"bad request with header {request.headers.get('authorization')}")
        return tool_call("complete_task", summary=f"used key {SECRET} fine")

    with FakeOpenAI(responder=leaky) as fake:
        configure(
            workspace,
            f'[[agents]]\nname = "llm"\nmodel = "openai/gpt-4o-mini"\napi_base = "{fake.base_url}"\n'
            "[scheduler]\nretry_base_seconds = 0\n",
        )
        cli.ok("task", "add", "use the key")
        result = cli("run", "--until-idle", OPENAI_API_KEY=SECRET, timeout=90)
        assert result.returncode == 0, result.stderr
        assert fake.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    show = cli.ok("task", "show", "TASK-001", "--json")
    assert json.loads(show)["status"] == "done"
    assert SECRET not in result.stdout + result.stderr + show
    for path in workspace.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_agent_check_reports_reachable_and_failing_models(cli, workspace) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    with FakeOpenAI(default=tool_call("complete_task", summary="ok")) as fake:
        cli.ok("agent", "add", "good", "--model", "openai/gpt-4o-mini", "--api-base", fake.base_url)
        out = cli.ok("agent", "check", "good", OPENAI_API_KEY="sk-test-dummy")
        assert out.startswith("good: openai/gpt-4o-mini answered in ")
        fake.default = error(401, "invalid api key")
        line = cli.error("agent", "check", "good", OPENAI_API_KEY=SECRET)
        assert line.startswith("error: good: openai/gpt-4o-mini is not usable: AuthenticationError")
        assert SECRET not in line
    assert cli.error("agent", "check", "nobody") == "error: unknown agent nobody"


def test_run_rejects_bad_max_seconds(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli.error("run", "--max-seconds", "0") == "error: --max-seconds must be positive"


def test_run_until_idle_stopped_by_max_seconds_with_work_left_fails_and_says_what(cli) -> None:  # type: ignore[no-untyped-def]
    cli.ok("init")
    cli.ok(
        "agent", "add", "slow", "--command", f"{sys.executable} -c 'import time; time.sleep(60)'"
    )
    cli.ok("task", "add", "Long job", "--assign", "slow")
    cli.ok("task", "add", "Nobody's job", "--assign", "slow")  # waits for the slot
    line = cli.error("run", "--until-idle", "--max-seconds", "3")
    assert line == (
        "error: --max-seconds 3 reached with work left: 1 run(s) going; 1 assigned, 1 in_progress"
    )
    assert "in_progress" not in cli.ok("task", "list")  # the stopped run's task was requeued
