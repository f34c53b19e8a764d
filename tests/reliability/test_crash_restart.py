"""Fault 1: `kill -9` of `maos-tui run` at seeded random moments while command agents run
and WORKING.md is rewritten, then a restart with `--until-idle`.

The agent takes an exclusive non-blocking flock on a per-task file for as long as it runs.
The kernel drops an flock when its holder dies (SIGKILL included), so a second instance of
the same task that finds the lock taken proves two runs of one task overlapped in time,
with no clock or polling granularity involved.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from fakes.support import PATIENCE

from maos_tui.domain import FINAL_STATUSES
from maos_tui.working_md.parse import parse_working
from tests.conftest import Cli
from tests.reliability.helpers import integrity, processes_with, task_statuses

KILLS = 12
FIRST_TASKS = 6
ADD_EVERY = 4
SLOW_TASKS = 2

AGENT = """\
import fcntl, json, os, sys, time
marks, task = os.environ["CRASH_MARKS"], os.environ["MAOS_TASK_ID"]
sys.stdin.read()
fd = os.open(os.path.join(marks, task + ".lock"), os.O_CREAT | os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    with open(os.path.join(marks, task + ".overlap"), "a") as f:
        f.write(f"{os.getpid()}\\n")
with open(os.path.join(marks, task + ".log"), "a") as f:
    f.write(f"start {os.getpid()} {time.time()}\\n")
# "slow" tasks outlive the killed scheduler until the next one's recovery kills them, however
# long that one takes to start: they end only once the test lets them.
if "slow" in os.environ["MAOS_TASK_TITLE"]:
    while not os.path.exists(os.path.join(marks, "release")):
        time.sleep(0.05)
time.sleep(0.3)
with open(os.path.join(marks, task + ".log"), "a") as f:
    f.write(f"end {os.getpid()} {time.time()}\\n")
print(json.dumps({"summary": "worked"}))
"""


def agent_starts(marks: Path) -> int:
    return sum(p.read_text().count("start ") for p in marks.glob("*.log"))


def wait_for_agent_start(marks: Path, db: Path, run: subprocess.Popen[str]) -> None:
    """Until the scheduler `run` starts an agent, or has nothing left to start."""
    before, deadline = agent_starts(marks), time.monotonic() + PATIENCE
    final = {s.value for s in FINAL_STATUSES}
    while agent_starts(marks) == before and time.monotonic() < deadline:
        if set(task_statuses(db).values()) <= final:
            return
        assert run.poll() is None, f"run ended by itself: {run.communicate()[1][-2000:]}"
        time.sleep(0.05)


def test_kill_9_at_random_points_then_restart(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "crash_agent.py"
    script.write_text(AGENT)
    cli.ok("init")
    # Short retry back-off: requeued runs are retried within the test, not minutes later.
    (workspace / ".maos" / "config.toml").write_text("[scheduler]\nretry_base_seconds = 0.1\n")
    cli.ok("agent", "add", "worker", "--command", f"{sys.executable} {script}",
           "--max-concurrent", "2")  # fmt: skip
    cli.ok("agent", "add", "helper", "--command", f"{sys.executable} {script}")
    for n in range(FIRST_TASKS):
        title = f"first batch {n}" + (" slow" if n < SLOW_TASKS else "")
        cli.ok("task", "add", title, "--assign", "worker" if n % 2 else "helper")
    env = cli.env(CRASH_MARKS=str(marks))
    rng = random.Random(20)
    delays = []
    try:
        for n in range(KILLS):
            run = subprocess.Popen(cli.argv("run"), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
            # Spread over start-up (imports, recovery), dispatch and mid-run. Every other
            # kill waits for this scheduler to start an agent first: on a loaded machine a
            # fixed delay can end every scheduler before it dispatches anything.
            if n % 2:
                wait_for_agent_start(marks, workspace / ".maos" / "state.db", run)
            delay = rng.uniform(0.0, 0.5) if n % 2 else rng.uniform(0.3, 1.5)
            delays.append(delay)
            time.sleep(delay)
            if n % ADD_EVERY == 0:  # keep work arriving while the board churns
                cli.ok("task", "add", f"added while running {n}")
            run.send_signal(signal.SIGKILL)
            _out, err = run.communicate(timeout=10)
            assert run.returncode == -signal.SIGKILL, err  # it was still running: a real crash
        (marks / "release").touch()
        final = subprocess.run(cli.argv("run", "--until-idle", "--max-seconds", "240"), env=env,
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        assert final.returncode == 0, final.stderr
    finally:
        leftovers = processes_with(str(script))
        for line in leftovers:
            os.kill(int(line.split()[0]), signal.SIGKILL)
    assert leftovers == []  # recovery killed the agents the dead schedulers left running

    db = workspace / ".maos" / "state.db"
    assert integrity(db) == ["ok"]
    statuses = task_statuses(db)
    assert len(statuses) == FIRST_TASKS + len(range(0, KILLS, ADD_EVERY))
    assert {s for s in statuses.values()} <= {s.value for s in FINAL_STATUSES}, statuses
    assert "done" in statuses.values()

    parsed = parse_working((workspace / "WORKING.md").read_text(encoding="utf-8"))
    assert parsed.problems == []
    assert {t.id: t.status.value for t in parsed.task_lines()} == statuses

    overlaps = sorted(p.name for p in marks.glob("*.overlap"))
    assert overlaps == [], "a task ran twice at the same time: " + ", ".join(overlaps)
    events = [line.split()[:2] for p in marks.glob("*.log") for line in p.read_text().splitlines()]
    started = {pid for kind, pid in events if kind == "start"}
    interrupted = started - {pid for kind, pid in events if kind == "end"}
    assert len(started) >= len(statuses)  # every task's agent really ran
    # Agents outlive a killed scheduler (own session); the next one's recovery must kill
    # those still running before it requeues their tasks. Some must have been caught so.
    assert interrupted
    report = {
        "kills": KILLS,
        "delays": [round(d, 2) for d in delays],
        "agent_runs": len(started),
        "runs_killed_by_recovery": len(interrupted),
        "statuses": sorted(statuses.values()),
    }
    print(json.dumps(report))
