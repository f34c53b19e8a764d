"""idle-exit, first-dispatch-command, first-dispatch-llm: how soon agents get going.

idle-exit times `maos-tui run --until-idle` on a workspace with a command agent and an LLM
agent configured and nothing for either to do: a check that leaves early, which must not
pay for litellm. The first-dispatch scenarios launch the board (`maos-tui`, in a pty) on
a workspace whose only task waits for one agent, and time from before the spawn to that
agent's work reaching the outside: a command agent's process starting (it creates a file
the harness polls for), or an LLM agent's first request reaching the fake OpenAI server
(tests/fakes/openai_server.py, which stamps each request as it arrives).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from benchmarks.data import Bench, Shape, bench_workspace, populate
from benchmarks.harness import Measured, Options, Target, Unavailable, median, scenario, summary
from benchmarks.terminal import running_in_pty

if TYPE_CHECKING:
    from maos_tui.store import Store

GIVE_UP_SECONDS = 120.0
POLL_SECONDS = 0.005
DONE_BOARD = Shape(tasks=1_000, done=1_000)
# Any key does for the fake server; without one the LLM agent would show offline.
KEY = {"OPENAI_API_KEY": "sk-benchmark"}
# The command agent marks its start by creating the file named in this variable, which it
# inherits from the app's environment.
MARK = "BENCH_AGENT_STARTED"


def _prepare(bench: Bench, fill: Callable[[Store], Awaitable[None]]) -> None:
    async def run() -> None:
        store = await bench.open_store()
        try:
            await fill(store)
        finally:
            await store.close()

    asyncio.run(run())


def _agents(api_base: str | None = None) -> Callable[[Store], Awaitable[None]]:
    async def fill(store: Store) -> None:
        await store.agents.add(
            "builder", command=["/bin/sh", "-c", f': > "${MARK}"'], capabilities=["build"]
        )
        await store.agents.add(
            "writer", model="openai/gpt-4o-mini", api_base=api_base, capabilities=["write"]
        )

    return fill


@scenario("idle-exit", "`run --until-idle`, agents configured, nothing to do, median",
          Target(1.0, "s"))  # fmt: skip
def idle_exit(options: Options) -> Measured:
    samples = []
    with bench_workspace() as bench:

        async def fill(store: Store) -> None:
            await populate(store, DONE_BOARD)
            await _agents()(store)

        _prepare(bench, fill)
        argv = bench.argv("run", "--until-idle", "--max-seconds", str(GIVE_UP_SECONDS))
        subprocess.run(argv, env=bench.warm_up_env(**KEY), check=True, capture_output=True)
        for _ in range(options.runs(7, 1)):
            start = time.perf_counter()
            subprocess.run(argv, env=bench.env(**KEY), check=True, capture_output=True)
            samples.append(time.perf_counter() - start)
    how = f"{DONE_BOARD.tasks:,} done tasks, a command and an LLM agent"
    return Measured(median(samples), f"{summary(samples, 's')}; {how}")


Setup = Callable[[Bench], tuple[dict[str, str], Callable[[], float | None]]]


def _first_dispatch(runs: int, setup: Setup) -> list[float]:
    """Launch the board `runs` times (after an unmeasured one), each on a new workspace that
    `setup` fills; it returns the launch's environment and a probe giving the moment
    (perf_counter) the agent's work was seen, or None before that."""
    samples = []
    for index in range(runs + 1):
        with bench_workspace() as bench:
            env, reached = setup(bench)
            env = bench.env(**env) if index else bench.warm_up_env(**env)
            with running_in_pty(bench.argv(), env) as live:
                deadline = live.started + GIVE_UP_SECONDS
                while (at := reached()) is None:
                    if live.proc.poll() is not None:
                        raise Unavailable(f"the app exited: {live.output[-300:]}")
                    if time.perf_counter() > deadline:
                        raise Unavailable(f"no agent started within {GIVE_UP_SECONDS:.0f}s")
                    time.sleep(POLL_SECONDS)
        if index:
            samples.append(at - live.started)
    return samples


@scenario("first-dispatch-command", "launch → a command agent's process starts, median",
          Target(1.5, "s"))  # fmt: skip
def first_dispatch_command(options: Options) -> Measured:
    def setup(bench: Bench) -> tuple[dict[str, str], Callable[[], float | None]]:
        mark = bench.root.parent / "agent-started"

        async def fill(store: Store) -> None:
            await _agents()(store)
            await store.tasks.create("Build the site", needs=["build"])

        _prepare(bench, fill)
        return {MARK: str(mark), **KEY}, lambda: time.perf_counter() if mark.exists() else None

    samples = _first_dispatch(options.runs(5, 1), setup)
    return Measured(median(samples), f"{summary(samples, 's')}; {_WORKSPACE}")


@scenario("first-dispatch-llm", "launch → first request at the fake LLM server, median",
          Target(None, "s"))  # fmt: skip
def first_dispatch_llm(options: Options) -> Measured:
    from tests.fakes.openai_server import FakeOpenAI, Received, Reply, tool_call

    arrivals: list[float] = []

    def answer(_request: Received) -> Reply:
        arrivals.append(time.perf_counter())
        return tool_call("complete_task", summary="written")

    with FakeOpenAI(responder=answer) as fake:

        def setup(bench: Bench) -> tuple[dict[str, str], Callable[[], float | None]]:
            async def fill(store: Store) -> None:
                await _agents(fake.base_url)(store)
                await store.tasks.create("Write the notes", needs=["write"])

            _prepare(bench, fill)
            arrivals.clear()
            return dict(KEY), lambda: arrivals[0] if arrivals else None

        samples = _first_dispatch(options.runs(5, 1), setup)
    return Measured(median(samples), f"{summary(samples, 's')}; {_WORKSPACE}")


_WORKSPACE = "a new workspace: a command and an LLM agent, one task for one of them"
