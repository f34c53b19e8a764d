"""`maos-tui task add` as a shell script runs it: without the database layer when it can,
through the store when it must."""

from __future__ import annotations

import sqlite3

from tests.conftest import Cli
from tests.test_imports import loaded_packages


def test_the_command_adds_without_the_database_layer(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "First")  # writes WORKING.md's sync state, as init does not
    loaded, stderr = loaded_packages(
        cli, ("sqlalchemy", "sqlmodel", "pydantic"), "task", "add", "Second", "--after", "TASK-001"
    )
    assert loaded == []
    assert stderr == ""
    assert "TASK-002" in (cli.workspace / "WORKING.md").read_text()
    listed = cli.ok("task", "show", "TASK-002", "--json")
    assert '"after": ["TASK-001"]' in listed


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
