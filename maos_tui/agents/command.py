"""Command agents: any CLI (Claude Code, Codex, Aider, a script) run as a subprocess.

The argv runs without a shell unless the agent sets `shell = true`; task text only ever
travels on stdin (JSON) and in environment variables, never inside a command line. The
process gets its own session so cancel and timeout can kill its whole process group,
children included, even ones that ignore SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import deque
from pathlib import Path

from maos_tui.agents.base import Job, Outcome, RunHooks, RunResult
from maos_tui.agents.secrets import scrub

KILL_GRACE_SECONDS = 0.8  # SIGTERM first, SIGKILL after this: cancel stays well under 2 s
STDERR_TAIL_LINES = 20
PID_DIR = "runs"
LONG_LINE_MARK = b"[maos-tui: part of an output line over 64 KiB was dropped]\n"


def argv_for(job: Job) -> list[str]:
    command = list(job.agent.command or ())
    if job.agent.shell:
        # Only the user's own configured text goes through the shell; never task text.
        return ["/bin/sh", "-c", " ".join(command)]
    return command


def env_for(job: Job) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MAOS_TASK_ID=job.task.id,
        MAOS_TASK_TITLE=job.task.title,
        MAOS_WORKSPACE=str(job.workspace),
        MAOS_AGENT=job.agent.name,
        MAOS_RUN_ID=str(job.run_id),
        MAOS_RUN_KIND=job.kind,
    )
    if job.db_url:
        env["MAOS_DB_URL"] = job.db_url
    env.update(job.extra_env)
    return env


def pid_file(workspace: Path, run_id: int) -> Path:
    return workspace / ".maos" / PID_DIR / f"{run_id}.pid"


class CommandRunner:
    async def run(self, job: Job, hooks: RunHooks) -> RunResult:
        stdin = json.dumps({"kind": job.kind, **job.context}, ensure_ascii=False).encode()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv_for(job),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=job.cwd or job.workspace,
                env=env_for(job),
                start_new_session=True,
            )
        except OSError as exc:
            return RunResult.failed(f"cannot start {argv_for(job)[0]}: {exc.strerror or exc}")
        marker = pid_file(job.workspace, job.run_id)
        _write_pid(marker, proc.pid)
        try:
            return await self._supervise(proc, stdin, hooks)
        finally:
            # Also reaps children the agent left behind after a normal exit.
            await _kill_group(proc)
            marker.unlink(missing_ok=True)

    async def _supervise(
        self, proc: asyncio.subprocess.Process, stdin: bytes, hooks: RunHooks
    ) -> RunResult:
        assert proc.stdin and proc.stdout and proc.stderr
        stdout_lines: deque[str] = deque(maxlen=200)
        stderr_lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

        async def feed() -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(stdin)
                await proc.stdin.drain()
                proc.stdin.close()

        async def pump(stream: asyncio.StreamReader, keep: deque[str], prefix: str) -> None:
            while line := await _read_line(stream):
                text = line.decode("utf-8", errors="replace")
                keep.append(text.rstrip("\n"))
                await hooks.output(prefix + scrub(text))

        async def alive() -> None:
            # A running process is the command agent's heartbeat: a quiet CLI that thinks
            # for minutes is not stalled (its timeout still bounds it).
            while proc.returncode is None:
                hooks.progress()
                await asyncio.sleep(1)

        beat = asyncio.create_task(alive())
        try:
            await asyncio.gather(
                feed(),
                pump(proc.stdout, stdout_lines, ""),
                pump(proc.stderr, stderr_lines, "[stderr] "),
            )
            code = await proc.wait()
        finally:
            beat.cancel()
        if code != 0:
            tail = scrub("\n".join(line for line in stderr_lines if line.strip()))
            detail = f": {tail[-2000:]}" if tail else ""
            return RunResult.failed(f"exit status {code}{detail}")
        return parse_summary(stdout_lines)


def parse_summary(lines: deque[str] | list[str]) -> RunResult:
    """The last non-empty stdout line is the summary; a JSON object there may say more:
    {"summary": ...} completes, {"request_changes": ...} asks a review for changes,
    {"fail": ...} fails the run."""
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    if last.startswith("{"):
        try:
            data = json.loads(last)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            if "request_changes" in data:
                return RunResult(Outcome.CHANGES, str(data["request_changes"]))
            if "fail" in data:
                return RunResult.failed(str(data["fail"]))
            if "summary" in data:
                return RunResult.done(scrub(str(data["summary"])))
    return RunResult.done(scrub(last) or "done (no output)")


async def _read_line(stream: asyncio.StreamReader) -> bytes:
    """The next line, or a marker for a line longer than the stream limit: readline raises
    ValueError for those after dropping the buffered part, and the run must not die of it."""
    try:
        return await stream.readline()
    except ValueError:
        return LONG_LINE_MARK


def _write_pid(path: Path, pid: int) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(f"{pid}\n", encoding="ascii")


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after a short grace."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    if proc.returncode is None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(KILL_GRACE_SECONDS):
                await proc.wait()
    else:
        await asyncio.sleep(0.05)  # let well-behaved children exit on SIGTERM
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        await proc.wait()


def kill_orphan(workspace: Path, run_id: int) -> bool:
    """Kill the process group a dead scheduler left running for `run_id` (crash recovery).

    Only a group whose leader still carries MAOS_RUN_ID=<run_id> is killed, so a recycled
    PID is never hit (where /proc is not available the PID file alone decides).
    """
    marker = pid_file(workspace, run_id)
    try:
        pid = int(marker.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return False
    environ = Path(f"/proc/{pid}/environ")
    try:
        if Path("/proc").is_dir() and f"MAOS_RUN_ID={run_id}".encode() not in (
            environ.read_bytes().split(b"\0")
        ):
            marker.unlink(missing_ok=True)
            return False
    except OSError:
        marker.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    marker.unlink(missing_ok=True)
    return True
