"""`maos-tui run` leaves WORKING.md current when it exits: the sync's last pass, as it
stops, writes what the runs did (no second rewrite follows it)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time

from maos_tui.working_md.render import DONE_MARK
from tests.conftest import Cli


def test_run_until_idle_leaves_the_finished_work_in_working_md(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "builder", "--command", "echo built")
    cli.ok("task", "add", "Build the site", "--assign", "builder")
    cli.ok("run", "--until-idle", "--max-seconds", "100")
    text = (cli.workspace / "WORKING.md").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if "Build the site" in line)
    assert line.endswith(DONE_MARK), text


def test_run_merges_a_save_made_while_nothing_ran_before_it_places_tasks(cli: Cli) -> None:
    """Done by hand in WORKING.md while nothing ran: `run` must not start the task first.
    The test holds WORKING.md's lock, as another process's pass would, until `run` has
    claimed the file (its sync's first pass is then waiting for the lock)."""
    marker = cli.workspace.parent / "agent-ran"
    cli.ok("init")
    cli.ok("agent", "add", "builder", "--command", f"touch {marker}")
    cli.ok("task", "add", "Build the site", "--assign", "builder")
    path = cli.workspace / "WORKING.md"
    text = path.read_text(encoding="utf-8")
    line = "- [TASK-001] @builder - Build the site\n"
    assert line in text and "### DONE\n" in text, text
    path.write_text(text.replace(line, "").replace("### DONE\n", f"### DONE\n{line}"))
    maos = cli.workspace / ".maos"
    fd = os.open(maos / "working.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        argv = cli.argv("run", "--until-idle", "--max-seconds", "100")
        run = subprocess.Popen(argv, env=cli.env(), cwd=cli.workspace, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not any(p.suffix == ".lock" for p in (maos / "sync-owners").glob("*")):
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "run did not claim WORKING.md within 60 s"
            time.sleep(0.02)
    finally:
        os.close(fd)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    assert not marker.exists(), "the agent ran a task the user had marked done"
    assert '"status": "done"' in cli.ok("task", "show", "1", "--json")
