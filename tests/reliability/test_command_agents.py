"""Fault 7: command agents that misbehave, run by the real `maos-tui run`.

- one forks a grandchild, and both ignore SIGTERM: cancel must still end them;
- one prints 100 MB to stdout: the run completes and only a bounded tail is kept;
- one polls stdin forever and one never exits: the task timeout ends them.
Afterwards no agent process is left (checked with `ps`), and while the scheduler is still
alive none of its children is a zombie.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli
from tests.reliability.helpers import processes_with, task_statuses

MB = 1024 * 1024

FORKER = """\
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.stdin.read()
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open(os.environ["MARKS"] + "/grandchild", "w").write(str(os.getpid()))
    time.sleep(600)
    os._exit(0)
time.sleep(600)
"""
FLOOD = """\
import sys
sys.stdin.read()
line = b"x" * 1023 + b"\\n"
for _ in range(100 * 1024):
    sys.stdout.buffer.write(line)
sys.stdout.buffer.write(b'{"summary": "flooded and finished"}\\n')
"""
STDIN_POLLER = """\
import sys, time
while True:
    if not sys.stdin.buffer.read(4096):
        time.sleep(0.05)
"""
SLEEPER = "import time\ntime.sleep(600)\n"
LONG_LINE = """\
import sys
sys.stdin.read()
sys.stdout.write("y" * (2 * 1024 * 1024) + "\\nlong line survived\\n")
"""
AGENTS = {
    "forker": FORKER,
    "flood": FLOOD,
    "poller": STDIN_POLLER,
    "sleeper": SLEEPER,
    "longline": LONG_LINE,
}


def peak_rss_mb(pid: int) -> float | None:
    """The process's high-water mark; None once it has exited (a zombie has no memory)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def zombie_children(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,stat=,args="], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return [
        line for line in out.splitlines() if line.split()[1] == str(pid) and "Z" in line.split()[2]
    ]


def test_cancel_and_timeout_end_every_misbehaving_agent(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    tag = f"misbehave-{tmp_path.name}"  # in every agent's argv, so `ps` finds them all
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_text("[scheduler]\nretry_base_seconds = 0.1\n")
    for name, source in AGENTS.items():
        script = tmp_path / f"{name}.py"
        script.write_text(source)
        cli.ok("agent", "add", name, "--command", f"{sys.executable} {script} {tag}")
        cli.ok("task", "add", f"job for {name}", "--assign", name)
    db = workspace / ".maos" / "state.db"
    with sqlite3.connect(db) as con:  # no CLI flag for these: short timeouts, no retries
        con.execute("UPDATE tasks SET timeout_seconds = 4, max_retries = 0")
        con.execute(
            "UPDATE tasks SET timeout_seconds = 600 WHERE id IN ('TASK-001', 'TASK-002', 'TASK-005')"
        )
    con.close()

    run = subprocess.Popen(cli.argv("run", "--until-idle", "--max-seconds", "60"),
                           env=cli.env(MARKS=str(marks)), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (marks / "grandchild").exists():
            assert time.monotonic() < deadline and run.poll() is None, "forker never started"
            time.sleep(0.1)
        cli.ok("task", "cancel", "TASK-001")
        deadline = time.monotonic() + 10
        while [p for p in processes_with(tag) if "forker" in p]:
            assert time.monotonic() < deadline, processes_with(tag)
            time.sleep(0.1)
        assert run.poll() is None  # the timeouts are still pending: the scheduler is alive
        assert zombie_children(run.pid) == []
        deadline = time.monotonic() + 60
        peak = 0.0
        while run.poll() is None and time.monotonic() < deadline:
            # A high-water mark: the last sample taken while it lived is the peak.
            peak = peak_rss_mb(run.pid) or peak
            time.sleep(0.2)
        _out, err = run.communicate(timeout=5)
        assert run.returncode == 0, err
    finally:
        run.kill()
        run.wait()
        leftovers = processes_with(tag)
        for line in leftovers:
            subprocess.run(["kill", "-9", line.split()[0]], check=False)
    assert leftovers == []

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        runs = {
            task: (outcome, error or "", log)
            for task, outcome, error, log in con.execute(
                "SELECT task_id, outcome, error, output_log FROM runs ORDER BY id"
            )
        }
        flood_result = con.execute("SELECT result FROM tasks WHERE id = 'TASK-002'").fetchone()[0]
    con.close()
    assert task_statuses(db) == {
        "TASK-001": "cancelled",
        "TASK-002": "done",
        "TASK-003": "failed",
        "TASK-004": "failed",
        "TASK-005": "done",
    }, {k: v[:2] for k, v in runs.items()}
    assert "flooded and finished" in flood_result, runs["TASK-002"][:2]
    assert 0 < len(runs["TASK-002"][2]) <= 64 * 1024  # a bounded tail of 100 MB
    assert runs["TASK-002"][2].rstrip().endswith('{"summary": "flooded and finished"}')
    assert 0 < peak < 160  # MB: 100 MB of output streamed through, not held
    assert runs["TASK-005"][2].rstrip().endswith("long line survived")
    for task in ("TASK-003", "TASK-004"):
        assert "timed out" in runs[task][1], runs[task]
    print(
        json.dumps(
            {"scheduler_peak_rss_mb": round(peak, 1), "runs": {k: v[:2] for k, v in runs.items()}}
        )
    )
