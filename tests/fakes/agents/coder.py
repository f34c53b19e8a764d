"""Stand-in coding agent for worktree tests: checks the MAOS_* variables against where it
runs, then changes the worktree as its first argument says:

    edit PATH TEXT     write PATH, leave it uncommitted (the run's end commits it)
    commit PATH TEXT   write PATH and commit it itself
    nothing            change nothing

Exits 2 naming the variable that is wrong; prints a JSON summary on success."""

import json
import os
import subprocess
import sys


def fail(message: str) -> None:
    print(f"coder: {message}", file=sys.stderr)
    sys.exit(2)


here = os.path.realpath(os.getcwd())
if os.path.realpath(os.environ.get("MAOS_WORKTREE", "")) != here:
    fail(f"MAOS_WORKTREE is {os.environ.get('MAOS_WORKTREE')!r}, not the working folder {here}")
branch = subprocess.run(
    ["git", "symbolic-ref", "--short", "HEAD"], capture_output=True, text=True, check=True
).stdout.strip()
if os.environ.get("MAOS_BRANCH") != branch:
    fail(f"MAOS_BRANCH is {os.environ.get('MAOS_BRANCH')!r}, not the checked-out {branch!r}")
if not os.environ.get("MAOS_BASE"):
    fail("MAOS_BASE is not set")
mode, *rest = sys.argv[1:] or ["nothing"]
if mode in ("edit", "commit"):
    path, text = rest
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    if mode == "commit":
        subprocess.run(["git", "add", "--", path], check=True)
        subprocess.run(["git", "commit", "-q", "-m", f"coder: {path}"], check=True)
print(json.dumps({"summary": f"{mode} {' '.join(rest)}".strip()}))
