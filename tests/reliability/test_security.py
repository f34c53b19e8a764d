"""Security: user-only files, and task text that never reaches a shell."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli

# Holds a write transaction open so SQLite's -wal and -shm files exist while we look.
OPEN_WRITER = """\
import asyncio, os, sys
from maos_tui.store import Store

async def main():
    store = await Store.open(f"sqlite+aiosqlite:///{sys.argv[1]}")
    await store.tasks.create("made under umask 000")
    async with store.write():
        db = sys.argv[1]
        modes = {s: oct(os.stat(db + s).st_mode & 0o777) for s in ("", "-wal", "-shm")}
        print(modes, flush=True)
    await store.close()

asyncio.run(main())
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_maos_folder_and_database_files_are_user_only(cli: Cli, workspace: Path) -> None:
    # The most permissive umask: whatever is private is so because maos-tui made it so.
    done = subprocess.run(cli.argv("init"), env=cli.env(), capture_output=True, text=True,
                          umask=0, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    maos = workspace / ".maos"
    assert mode(maos) == 0o700 and mode(maos / "history") == 0o700
    assert mode(maos / "state.db") == 0o600
    db = workspace / "elsewhere" / "state.db"  # a fresh database through the store itself
    held = subprocess.run([sys.executable, "-c", OPEN_WRITER, str(db)], capture_output=True,
                          text=True, umask=0, timeout=60)  # fmt: skip
    assert held.returncode == 0, held.stderr
    assert held.stdout.strip() == str({"": "0o600", "-wal": "0o600", "-shm": "0o600"})
    assert mode(db.parent) == 0o700


def test_task_text_never_reaches_a_shell(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    titles = [
        f"$(touch {marker}-dollar)",
        f"`touch {marker}-backtick`",
        f"; touch {marker}-semicolon",  # stands in for `; rm -rf ~`: same shape, harmless
        f"' && touch {marker}-quote && '",
    ]
    cli.ok("init")
    # Both kinds of command agent: an argv one, and one the user chose to run through
    # /bin/sh, which sees the title only as the value of a variable.
    cli.ok(
        "agent",
        "add",
        "argv",
        "--command",
        f"{sys.executable} -c 'import os; print(os.environ[\"MAOS_TASK_TITLE\"])'",
    )
    cli.ok(
        "agent",
        "add",
        "shell",
        "--shell",
        "--command",
        'cat >/dev/null; echo "title: $MAOS_TASK_TITLE"',
    )
    for title in titles:
        for agent in ("argv", "shell"):
            cli.ok("task", "add", title, "--assign", agent)
    done = subprocess.run(cli.argv("run", "--until-idle", "--max-seconds", "60"), env=cli.env(),
                          capture_output=True, text=True, timeout=90)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("pwned*"))
    tasks = json.loads(cli.ok("task", "list", "--status", "done", "--json"))
    assert len(tasks) == 2 * len(titles)
    for task in tasks:
        assert task["title"] in task["result"]  # the agent saw the text, literally
