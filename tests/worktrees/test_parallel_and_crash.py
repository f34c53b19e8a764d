"""Four agents on four tasks at once, each in its own worktree; and `kill -9` of the
scheduler mid-run, then a restart that reuses the worktree and loses nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import Cli
from tests.worktrees.conftest import git
from tests.worktrees.scheduled import (
    coder,
    configure,
    run_until_idle,
    runs_of,
    setup,
    task,
    wait_for,
)


def test_four_agents_work_at_once_each_in_its_own_worktree(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log"
    names = ["ann", "bob", "cy", "dee"]
    ws = setup(cli, "".join(coder(n, "slow", log, "3") for n in names))
    ids = [cli.ok("task", "add", f"Part {n}", "--assign", n).strip() for n in names]
    run_until_idle(cli, timeout=180)
    starts = {t: float((log / f"{t}.start").read_text()) for t in ids}
    ends = {t: float((log / f"{t}.end").read_text()) for t in ids}
    assert max(starts.values()) < min(ends.values()), "the four runs did not overlap"
    worktrees = set()
    for tid in ids:
        shown = task(cli, tid)
        assert shown["status"] == "review", shown
        tree = Path(shown["branch"]["worktree"])
        worktrees.add(tree)
        assert [r["cwd"] for r in runs_of(log, tid)] == [str(tree)]
        # Its own file only, on its own branch: nobody wrote in another's worktree.
        assert sorted(p.name for p in tree.glob("TASK-*.txt")) == [f"{tid}.txt"]
        changed = git(ws, "diff", "--name-only", f"main...{shown['branch']['branch']}")
        assert changed.splitlines() == [f"{tid}.txt"]
    assert len(worktrees) == 4
    # maos-tui's own WORKING.md aside, nothing was written in the main checkout.
    assert git(ws, "status", "--porcelain", "--", ".", ":!WORKING.md") == ""
    runs = json.loads(cli.ok("task", "list", "--json"))
    assert not [t for t in runs if "index.lock" in (t.get("last_error") or "")]
    for tid in ids:  # they merge one after the other, each squashed onto the last
        cli.ok("task", "approve", tid)
    assert sorted(p.name for p in ws.glob("TASK-*.txt")) == [f"{t}.txt" for t in ids]


def test_kill_9_mid_run_then_restart_reuses_the_worktree_and_loses_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    ws = setup(cli, coder("coder", "hang", log))
    tid = cli.ok("task", "add", "Long job").strip()
    doomed = subprocess.Popen(
        cli.argv("run"), env=cli.env(), cwd=ws, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: (log / f"{tid}.pids").exists(), "the agent started")
        tree = ws / ".maos" / "worktrees" / tid
        (tree / "half-done.txt").write_text("work in progress\n")  # what the agent had written
        doomed.kill()  # SIGKILL: no cleanup at all
        doomed.wait(timeout=30)
    finally:
        doomed.kill()
    configure(cli, coder("coder", "edit", log))
    run_until_idle(cli)
    shown = task(cli, tid)
    assert shown["status"] == "review" and shown["branch"]["worktree"] == str(tree)
    first, second = runs_of(log, tid)
    assert first["cwd"] == second["cwd"] == str(tree)
    files = git(ws, "diff", "--name-only", f"main...{shown['branch']['branch']}").splitlines()
    assert sorted(files) == ["TASK-001.txt", "half-done.txt"]
    listed = git(ws, "worktree", "list", "--porcelain").count("worktree ")
    assert listed == 2  # the main checkout and the task's one worktree
