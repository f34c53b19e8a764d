"""litellm (seconds of CPU to import) is loaded only when an LLM agent has work, on a
thread of its own: `run` with an LLM agent and nothing to do never imports it, and a
command agent's run starts without waiting for that import."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

from fakes.openai_server import FakeOpenAI, tool_call

from maos_tui.domain import AgentKind
from maos_tui.scheduler.planner import Plan
from maos_tui.scheduler.prewarm import llm_work_ahead
from tests.conftest import Cli
from tests.test_imports import loaded_packages
from tests.working_md.test_wm_format import agent

# `maos-tui run --until-idle` in this interpreter. The command agent sends it SIGUSR1 as
# it starts; the handler notes whether the app's background import of litellm had
# finished by then (agents/llm.py's start_loading: its future, once one was asked for).
_PROBE = """
import json, signal, sys
from maos_tui.agents import llm
from maos_tui.cli import main

seen = []

def imported():
    return llm.start_loading.cache_info().currsize == 1 and llm.start_loading().done()

signal.signal(signal.SIGUSR1, lambda *_: seen.append(imported()))
code = main(sys.argv[1:])
print(json.dumps({"code": code, "at_command_start": seen, "at_exit": imported()}))
"""


_RUN = ("run", "--until-idle", "--max-seconds", "150")


def test_run_until_idle_with_an_llm_agent_and_nothing_to_do_never_imports_litellm(
    cli: Cli,
) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")
    cli.ok("task", "add", "Already finished")
    cli.ok("task", "move", "TASK-001", "done")
    loaded, stderr = loaded_packages(
        cli, ("litellm",), "run", "--until-idle", "--max-seconds", "100", OPENAI_API_KEY="sk-x"
    )
    assert loaded == [], stderr


def test_a_command_agents_run_starts_while_litellm_is_still_being_imported(cli: Cli) -> None:
    with FakeOpenAI(default=tool_call("complete_task", summary="summarised")) as fake:
        cli.ok("init")
        cli.ok(
            "agent", "add", "coder", "--model", "openai/gpt-4o-mini", "--api-base", fake.base_url
        )
        cli.ok("agent", "add", "builder", "--command", "sh -c 'kill -USR1 $PPID; echo built'")
        cli.ok("task", "add", "Summarise the notes", "--assign", "coder")
        cli.ok("task", "add", "Build the site", "--assign", "builder")
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, "--workspace", str(cli.workspace), *_RUN],
            capture_output=True,
            text=True,
            timeout=170,
            env=cli.env(OPENAI_API_KEY="sk-test-dummy"),
            cwd=cli.workspace,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["code"] == 0, done.stderr
        assert report["at_command_start"] == [False], "the command agent waited for litellm"
        assert report["at_exit"], "the LLM run never loaded litellm"
        assert fake.requests, "the LLM agent never called the model"
    listed = json.loads(cli.ok("task", "list", "--json"))
    tasks = listed["tasks"] if isinstance(listed, dict) else listed
    assert {t["title"]: t["status"] for t in tasks} == {
        "Summarise the notes": "done",
        "Build the site": "done",
    }


def test_tasks_waiting_for_a_slot_start_the_import_only_with_an_llm_agent_usable() -> None:
    builder = agent("builder")  # a command agent
    coder = replace(agent("coder"), kind=AgentKind.LLM, model="openai/gpt-4o-mini", command=None)
    waiting = Plan(waiting={"TASK-001"})
    assert llm_work_ahead(waiting, [builder, coder])
    assert not llm_work_ahead(waiting, [builder])
    assert not llm_work_ahead(Plan(), [builder, coder])  # nothing to do


# A run waiting for the import ticks its progress, and cancelling it (stop, a task cancel)
# leaves the import going for the next run.
_WAITING = """
import asyncio
from maos_tui.agents import llm

class Hooks:
    ticks = 0
    def progress(self):
        self.ticks += 1

async def main():
    hooks = Hooks()
    first = asyncio.ensure_future(llm.litellm_for_run(hooks))
    while hooks.ticks < 2 and not first.done():
        await asyncio.sleep(0.01)
    first.cancel()
    try:
        await first
    except asyncio.CancelledError:
        pass
    module = await llm.litellm_for_run(hooks)
    print(module.__name__, hooks.ticks)

asyncio.run(main())
"""


def test_a_run_waiting_for_the_import_shows_progress_and_may_be_cancelled(cli: Cli) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WAITING], capture_output=True, text=True, timeout=170, env=cli.env()
    )
    assert done.returncode == 0, done.stderr
    name, ticks = done.stdout.split()
    assert name == "litellm"
    assert int(ticks) >= 2
