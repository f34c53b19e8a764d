"""`maos-tui mcp`, spoken to as a coding agent does: JSON-RPC lines over its stdio.

mcp-start: from launching the process to its answer to `initialize`, on a board of 1,000
tasks. mcp-claim: `claim_task` round trips with `maos-tui run` open on the workspace, so
each call runs in that process (as with the TUI open), from a queue of open tasks.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import IO, Any

from benchmarks.data import QUEUED, Bench, Shape, bench_workspace, build_board
from benchmarks.harness import Measured, Options, Target, median, p95, scenario, summary
from benchmarks.scenarios.cli import _served

BOARD = Shape(tasks=1_000, done=800)
QUEUE = Shape(tasks=300, mix=QUEUED)
_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "maos-bench", "version": "1"},
    },
}


def _send(pipe: IO[bytes], message: dict[str, Any]) -> None:
    pipe.write(json.dumps(message).encode() + b"\n")
    pipe.flush()


def _answer(pipe: IO[bytes], request_id: int) -> dict[str, Any]:
    while line := pipe.readline():
        message = json.loads(line)
        if message.get("id") == request_id:
            return message  # type: ignore[no-any-return]
    raise RuntimeError("maos-tui mcp closed its output before answering")


def _call(
    proc: subprocess.Popen[bytes], request_id: int, tool: str, args: dict[str, Any]
) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    params = {"name": tool, "arguments": args}
    _send(
        proc.stdin, {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    )
    answer = _answer(proc.stdout, request_id)
    result = answer.get("result") or {}
    if "error" in answer or result.get("isError"):
        raise RuntimeError(f"{tool} failed: {answer}")
    return result["structuredContent"]  # type: ignore[no-any-return]


def _launch(bench: Bench) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        bench.argv("mcp"),
        env=bench.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=bench.root,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()  # the client leaves: the server ends
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _start_once(bench: Bench) -> float:
    start = time.perf_counter()
    proc = _launch(bench)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        _send(proc.stdin, _INITIALIZE)
        answer = _answer(proc.stdout, 0)
        elapsed = time.perf_counter() - start
    finally:
        _stop(proc)
    if "result" not in answer:
        raise RuntimeError(f"initialize failed: {answer}")
    return elapsed


@scenario(
    "mcp-start", "`maos-tui mcp` launch to its `initialize` answer, median", Target(500, "ms")
)
def mcp_start(options: Options) -> Measured:
    with bench_workspace() as bench:
        build_board(bench, BOARD)
        _start_once(bench)  # unmeasured: bytecode caches current
        samples = [_start_once(bench) for _ in range(options.runs(10, 2))]
    return Measured(median(samples) * 1000, summary(samples, "ms", 1000))


@scenario("mcp-claim", "`claim_task` round trip with the board open, p95", Target(20, "ms"))
def mcp_claim(options: Options) -> Measured:
    calls = options.runs(200, 20)
    with bench_workspace() as bench:
        build_board(bench, QUEUE)
        with _served(bench):
            proc = _launch(bench)
            assert proc.stdin is not None and proc.stdout is not None
            try:
                _send(proc.stdin, _INITIALIZE)
                _answer(proc.stdout, 0)
                _send(proc.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
                samples = []
                for n in range(calls + 1):
                    start = time.perf_counter()
                    claimed = _call(proc, 2 * n + 1, "claim_task", {})
                    elapsed = time.perf_counter() - start
                    if n:  # the first call also loads the operations' modules
                        samples.append(elapsed)
                    # Finished, unmeasured, as an agent would before its next claim.
                    done = {"id": claimed["task"]["id"], "summary": "ok"}
                    _call(proc, 2 * n + 2, "finish_task", done)
            finally:
                _stop(proc)
    return Measured(
        p95(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; queue of {QUEUE.tasks} tasks, `maos-tui run` open",
    )
