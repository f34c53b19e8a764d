"""Stand-in coding agent: checks the MAOS_* variables it is given, then does what argv[1]
says in its working folder. argv[2] is a folder it logs to (one file per task).

  edit      write <task>.txt and leave it uncommitted (maos-tui commits it)
  commit    write <task>.txt and commit it itself
  nothing   change nothing
  readme    replace README.md (to conflict with a base that changed it too)
  resolve   on a conflict run, resolve the files named in its context; else as `readme`
  slow      as `edit`, after holding on for argv[3] seconds (overlap checks)
  hang      start a child, write both PIDs to <log>/<task>.pids, never finish

A review run writes the diff it was given to <log>/<task>.review and approves.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

mode, log = sys.argv[1], Path(sys.argv[2])
job = json.loads(sys.stdin.read())
task = os.environ["MAOS_TASK_ID"]
here = Path.cwd().resolve()


def fail(why: str) -> None:
    print(json.dumps({"fail": why}), flush=True)
    sys.exit(0)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


worktree = os.environ.get("MAOS_WORKTREE")
if worktree is None or Path(worktree).resolve() != here:
    fail(f"MAOS_WORKTREE {worktree!r} is not my working folder {here}")
if here == Path(os.environ["MAOS_WORKSPACE"]).resolve():
    fail("I was started in the main checkout")
if git("rev-parse", "--abbrev-ref", "HEAD") != os.environ.get("MAOS_BRANCH"):
    fail(f"MAOS_BRANCH {os.environ.get('MAOS_BRANCH')!r} is not the checked-out branch")
if not os.environ.get("MAOS_BASE") or job["worktree"]["path"] != worktree:
    fail("MAOS_BASE or the context's worktree is missing")
log.mkdir(exist_ok=True)
with open(log / f"{task}.runs", "a", encoding="utf-8") as runs:
    runs.write(json.dumps({"kind": job["kind"], "cwd": str(here), "context": job}) + "\n")

if job["kind"] == "review":
    (log / f"{task}.review").write_text(job.get("diff", ""), encoding="utf-8")
    print(json.dumps({"summary": "looks good"}))
    sys.exit(0)

if mode == "resolve" and "conflict" in job:
    for name in job["conflict"]["files"]:
        Path(name).write_text("resolved by the agent\n", encoding="utf-8")
    print(json.dumps({"summary": "resolved the conflict"}))
    sys.exit(0)
if mode in ("readme", "resolve"):
    Path("README.md").write_text("the agent's readme\n", encoding="utf-8")
elif mode in ("edit", "commit", "slow"):
    if mode == "slow":
        (log / f"{task}.start").write_text(str(time.time()), encoding="utf-8")
        time.sleep(float(sys.argv[3]))
        (log / f"{task}.end").write_text(str(time.time()), encoding="utf-8")
    Path(f"{task}.txt").write_text(f"work of {task}\n", encoding="utf-8")
    if mode == "commit":
        git("add", f"{task}.txt")
        git("-c", "user.name=Coder", "-c", "user.email=c@x", "commit", "-qm", "my own commit")
elif mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"])
    (log / f"{task}.pids").write_text(f"{os.getpid()} {child.pid}\n", encoding="ascii")
    while True:
        time.sleep(1)
print(json.dumps({"summary": f"{mode} done for {task}"}))
