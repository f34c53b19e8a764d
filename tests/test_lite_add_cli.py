"""`maos-tui task add` as a shell script runs it: without the database layer when it can,
through the store when it must."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess

from tests.conftest import Cli
from tests.test_imports import loaded_packages


def test_the_command_adds_without_the_database_layer(cli: Cli) -> None:
    cli.ok("init")
    for title, after in (("First", ()), ("Second", ("--after", "TASK-001"))):
        loaded, stderr = loaded_packages(
            cli, ("sqlalchemy", "sqlmodel", "pydantic"), "task", "add", title, *after
        )
        assert loaded == []
        assert stderr == ""
    assert "[TASK-002] Second" in (cli.workspace / "WORKING.md").read_text()
    listed = cli.ok("task", "show", "TASK-002", "--json")
    assert '"after": ["TASK-001"]' in listed


def test_a_hand_edit_waiting_in_working_md_is_merged_by_the_store(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "First")
    working = cli.workspace / "WORKING.md"
    working.write_text(working.read_text().replace("[TASK-001] First", "[TASK-001] Renamed"))
    loaded, _ = loaded_packages(cli, ("sqlalchemy",), "task", "add", "Second")
    assert loaded == ["sqlalchemy"]
    assert "Renamed" in cli.ok("task", "show", "TASK-001")
    text = working.read_text()
    assert "[TASK-001] Renamed" in text and "[TASK-002] Second" in text


def test_a_mention_is_notified_through_the_store(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")
    loaded, _ = loaded_packages(
        cli, ("sqlalchemy",), "task", "add", "Review", "--description", "@coder have a look"
    )
    assert loaded == ["sqlalchemy"]
    with sqlite3.connect(cli.workspace / ".maos" / "state.db") as conn:
        notified = conn.execute("SELECT recipient, task_id FROM notifications").fetchall()
    assert notified == [("coder", "TASK-001")]


def test_concurrent_adds_each_get_a_task_and_a_line(cli: Cli) -> None:
    """Shell scripts adding at once, nothing open to serve them: every add lands once,
    with its own ID, its Activity and its line in WORKING.md."""
    cli.ok("init")

    def writer(w: int) -> subprocess.Popen[bytes]:
        adds = [shlex.join(cli.argv("task", "add", f"w{w}-{n}")) for n in range(5)]
        script = " && ".join(f"{add} >> out-{w}.txt" for add in adds)
        return subprocess.Popen(["sh", "-c", script], cwd=cli.workspace, env=cli.env())

    writers = [writer(w) for w in range(4)]
    assert [p.wait(timeout=120) for p in writers] == [0, 0, 0, 0]
    ids = [i for w in range(4) for i in (cli.workspace / f"out-{w}.txt").read_text().split()]
    assert sorted(ids) == [f"TASK-{n:03d}" for n in range(1, 21)]
    with sqlite3.connect(cli.workspace / ".maos" / "state.db") as conn:
        created = conn.execute("SELECT count(*) FROM activities WHERE verb = 'created'")
        assert created.fetchone() == (20,)
    text = (cli.workspace / "WORKING.md").read_text()
    assert all(f"[{task_id}] " in text for task_id in ids)
