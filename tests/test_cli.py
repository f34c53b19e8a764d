"""The CLI contract, through the real `maos-tui` program in subprocesses."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.reliability.helpers import hold_write_lock

TASK_KEYS = [
    "id", "title", "description", "status", "priority", "assignees", "created_by", "parent",
    "after", "needs", "labels", "blocked", "archived", "retry_count", "max_retries",
    "retry_at", "last_error", "status_reason", "review_rounds", "timeout_seconds", "result",
    "created_at", "updated_at", "branch",
]  # fmt: skip
AGENT_KEYS = [
    "name", "role", "kind", "model", "command", "capabilities", "status", "heartbeat_seconds",
    "max_concurrent", "last_heartbeat", "tokens_in", "tokens_out", "cost_usd",
]  # fmt: skip


def db_dump(workspace: Path) -> list[str]:
    with sqlite3.connect(workspace / ".maos" / "state.db") as con:
        return list(con.iterdump())


def test_init_is_idempotent_and_keeps_working_md(cli: Cli, workspace: Path) -> None:
    assert "created WORKING.md" in cli.ok("init")
    text = (workspace / "WORKING.md").read_text()
    assert text.startswith(f"# {workspace.name} - Working State\nLast Updated: ")
    assert "### INBOX" in text and "## Notes" in text
    (workspace / "WORKING.md").write_text("# mine\n")
    assert "already initialised" in cli.ok("init")
    assert (workspace / "WORKING.md").read_text() == "# mine\n"
    assert (workspace / ".maos").stat().st_mode & 0o777 == 0o700
    assert (workspace / ".maos" / "history").is_dir()


@pytest.mark.sqlite_only
def test_init_dir_argument(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    cli.ok("init", str(target))
    assert (target / "WORKING.md").exists() and (target / ".maos" / "state.db").exists()


def test_task_add_json_shape_key_by_key(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")
    first = cli.ok("task", "add", "Research pricing", "--priority", "1").strip()
    assert first == "TASK-001"
    task = json.loads(
        cli.ok(
            "task", "add", "Design page", "--description", "**bold**", "--after", first,
            "--needs", "design", "--assign", "coder", "--parent", first, "--label", "web",
            "--json",
        )
    )  # fmt: skip
    assert list(task) == TASK_KEYS
    assert task["id"] == "TASK-002"
    assert task["title"] == "Design page"
    assert task["description"] == "**bold**"
    assert task["status"] == "assigned"
    assert task["priority"] == 2
    assert task["assignees"] == ["coder"]
    assert task["created_by"] == "human"
    assert task["parent"] == first
    assert task["after"] == [first]
    assert task["needs"] == ["design"]
    assert task["labels"] == ["web"]
    assert task["blocked"] is True
    assert task["archived"] is False
    assert (task["retry_count"], task["max_retries"], task["timeout_seconds"]) == (0, 3, 900)
    assert (task["retry_at"], task["last_error"], task["status_reason"]) == (None, None, None)
    assert task["review_rounds"] == 0
    assert task["result"] is None
    assert task["branch"] is None
    assert task["created_at"].endswith("Z") and task["updated_at"].endswith("Z")


def test_task_list_show_filters(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--command", "echo hi")
    cli.ok("task", "add", "low", "--priority", "3")
    cli.ok("task", "add", "high", "--priority", "0", "--assign", "coder")
    cli.ok("task", "add", "mid")
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert [t["title"] for t in listed] == ["high", "mid", "low"]
    assert [
        t["title"] for t in json.loads(cli.ok("task", "list", "--status", "ASSIGNED", "--json"))
    ] == ["high"]
    assert [
        t["title"] for t in json.loads(cli.ok("task", "list", "--assignee", "coder", "--json"))
    ] == ["high"]
    assert "TASK-002" in cli.ok("task", "list").splitlines()[0]
    assert json.loads(cli.ok("task", "show", "task-2", "--json"))["title"] == "high"
    assert "priority:   P0" in cli.ok("task", "show", "TASK-002")


def test_move_assign_edit_cancel_retry_archive_restore(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "a1", "--model", "ollama/m")
    cli.ok("agent", "add", "a2", "--model", "ollama/m")
    cli.ok("task", "add", "dep")
    cli.ok("task", "add", "work")

    def show() -> dict:
        return json.loads(cli.ok("task", "show", "TASK-002", "--json"))

    cli.ok("task", "move", "TASK-002", "in-progress")
    assert show()["status"] == "in_progress"
    cli.ok("task", "assign", "TASK-002", "a1", "a2")
    assert show()["assignees"] == ["a1", "a2"]
    cli.ok("task", "unassign", "TASK-002", "a2")
    assert show()["assignees"] == ["a1"]
    cli.ok(
        "task",
        "edit",
        "TASK-002",
        "--title",
        "better",
        "--priority",
        "0",
        "--after",
        "TASK-001",
        "--needs",
        "py",
    )
    edited = show()
    assert (edited["title"], edited["priority"], edited["after"], edited["needs"]) == (
        "better",
        0,
        ["TASK-001"],
        ["py"],
    )
    cli.ok("task", "edit", "TASK-002", "--no-after")
    assert show()["after"] == []
    cli.ok("task", "cancel", "TASK-002")
    assert show()["status"] == "cancelled"
    cli.ok("task", "retry", "TASK-002")
    assert show()["status"] == "inbox"
    cli.ok("task", "archive", "TASK-002")
    assert show()["archived"] is True
    assert [t["id"] for t in json.loads(cli.ok("task", "list", "--json"))] == ["TASK-001"]
    assert [t["id"] for t in json.loads(cli.ok("task", "list", "--archived", "--json"))] == [
        "TASK-002"
    ]
    cli.ok("task", "restore", "TASK-002")
    assert show()["archived"] is False


def test_agent_commands_and_json_shape(cli: Cli) -> None:
    cli.ok("init")
    agent = json.loads(
        cli.ok(
            "agent", "add", "agent:technical:main", "--model", "ollama/llama3", "--role", "dev",
            "--capability", "python", "--capability", "sql", "--heartbeat", "10",
            "--max-concurrent", "2", "--json",
        )
    )  # fmt: skip
    assert list(agent) == AGENT_KEYS
    assert agent["name"] == "agent:technical:main"
    assert (agent["role"], agent["kind"], agent["model"], agent["command"]) == (
        "dev",
        "llm",
        "ollama/llama3",
        None,
    )
    assert agent["capabilities"] == ["python", "sql"]
    assert (agent["status"], agent["heartbeat_seconds"], agent["max_concurrent"]) == ("idle", 10, 2)
    assert (
        agent["last_heartbeat"],
        agent["tokens_in"],
        agent["tokens_out"],
        agent["cost_usd"],
    ) == (None, 0, 0, 0.0)
    cmd = json.loads(
        cli.ok("agent", "add", "aider", "--command", "aider --message 'do it'", "--json")
    )
    assert (cmd["kind"], cmd["command"]) == ("command", ["aider", "--message", "do it"])
    assert [a["name"] for a in json.loads(cli.ok("agent", "list", "--json"))] == [
        "agent:technical:main",
        "aider",
    ]
    cli.ok("agent", "pause", "aider")
    assert json.loads(cli.ok("agent", "show", "aider", "--json"))["status"] == "paused"
    cli.ok("agent", "resume", "aider")
    assert json.loads(cli.ok("agent", "show", "aider", "--json"))["status"] == "idle"
    cli.ok("task", "add", "held", "--assign", "aider")
    assert "back to inbox: TASK-001" in cli.ok("agent", "remove", "aider")
    task = json.loads(cli.ok("task", "show", "TASK-001", "--json"))
    assert (task["status"], task["assignees"]) == ("inbox", [])


def test_status_json_shape(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "ollama/m")
    cli.ok("task", "add", "a")
    cli.ok("task", "add", "b")
    cli.ok("task", "move", "TASK-002", "done")
    status = json.loads(cli.ok("status", "--json"))
    assert list(status) == ["tasks", "agents", "workers", "tokens_in", "tokens_out", "cost_usd"]
    assert status["tasks"] == {
        "inbox": 1, "assigned": 0, "in_progress": 0, "review": 0, "done": 1, "failed": 0,
        "cancelled": 0,
    }  # fmt: skip
    assert [list(a) for a in status["agents"]] == [AGENT_KEYS]
    assert (status["tokens_in"], status["tokens_out"], status["cost_usd"]) == (0, 0, 0.0)


def test_config_agents_show_up_in_the_same_list(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_text(
        '[[agents]]\nname = "qa"\nmodel = "ollama/llama3"\ncapabilities = ["review"]\n'
    )
    cli.ok("agent", "add", "coder", "--model", "ollama/m")
    assert [a["name"] for a in json.loads(cli.ok("agent", "list", "--json"))] == ["coder", "qa"]


BAD_INPUTS = [
    (("task", "show", "TASK-999"), "unknown task TASK-999"),
    (("task", "move", "TASK-001", "doing"), "unknown status 'doing'"),
    (("task", "assign", "TASK-001", "ghost"), "unknown agent ghost"),
    (("task", "add", ""), "title is empty"),
    (("task", "add", "two\nlines"), "single line"),
    (("task", "add", "x" * 201), "at most 200"),
    (("task", "add", "x", "--priority", "4"), "priority must be from 0 to 3"),
    (("task", "add", "x", "--priority", "high"), "priority must be a number"),
    (("task", "edit", "TASK-001", "--after", "TASK-002"), "cycle: TASK-001 -> TASK-002 -> TASK-001"),
    (("task", "edit", "TASK-001", "--after", "TASK-001"), "cannot depend on itself"),
    (("task", "add", "x", "--after", "TASK-077"), "unknown task TASK-077"),
    (("agent", "add", "coder", "--model", "ollama/m"), "agent coder already exists"),
    (("agent", "add", "bad name", "--model", "ollama/m"), "invalid agent name"),
    (("agent", "add", "both", "--model", "ollama/m", "--command", "c"), "exactly one of --model or --command"),
    (("agent", "add", "neither"), "exactly one of --model or --command"),
    (("agent", "pause", "ghost"), "unknown agent ghost"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_is_one_line_and_changes_nothing(
    cli: Cli, workspace: Path, args: tuple[str, ...], message: str
) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "ollama/m")
    cli.ok("task", "add", "first")
    cli.ok("task", "add", "second", "--after", "TASK-001")
    before = db_dump(workspace)
    assert message in cli.error(*args)
    assert db_dump(workspace) == before


def test_workspace_that_is_a_file(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "afile"
    file.write_text("x")
    assert "is a file" in Cli(file).error("task", "list")


@pytest.mark.sqlite_only
def test_database_not_a_database(cli: Cli, workspace: Path) -> None:
    (workspace / ".maos").mkdir()
    db = workspace / ".maos" / "state.db"
    db.write_bytes(b"this is not sqlite" * 300)
    line = cli.error("task", "list")
    assert str(db) in line and "doctor" in line
    assert db.read_bytes() == b"this is not sqlite" * 300


def test_database_from_a_newer_schema(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "keep me")
    cli.rows("UPDATE maos_meta SET value = '42' WHERE key = 'schema_version'")
    assert "newer maos-tui" in cli.error("task", "add", "more")
    assert cli.rows("SELECT title FROM tasks") == [("keep me",)]


@pytest.mark.sqlite_only
def test_database_path_unreadable(cli: Cli, workspace: Path) -> None:
    # A folder where the database file should be: unreadable as a database even for root.
    (workspace / ".maos" / "state.db").mkdir(parents=True)
    assert "is a folder" in cli.error("task", "list")


@pytest.mark.sqlite_only
def test_database_locked_by_another_process(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    db = workspace / ".maos" / "state.db"
    holder = hold_write_lock(db, 9)
    try:
        started = time.monotonic()
        assert cli.error("task", "add", "second") == "error: database is locked"
        assert time.monotonic() - started >= 4.5  # it waited out busy_timeout first
    finally:
        holder.kill()
        holder.wait()
    assert [t["title"] for t in json.loads(cli.ok("task", "list", "--json"))] == ["first"]


def test_config_error_names_file_line_and_key(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_text(
        'theme = "x"\n[scheduler]\nmax_parallel = "four"\n'
    )
    line = cli.error("task", "add", "x")
    assert f"{workspace / '.maos' / 'config.toml'}:3: key scheduler.max_parallel" in line
    (workspace / ".maos" / "config.toml").write_text("[scheduler\n")
    assert "invalid TOML" in cli.error("task", "list")


def test_eight_concurrent_task_adds(cli: Cli) -> None:
    cli.ok("init")
    procs = [
        subprocess.Popen(cli.argv("task", "add", f"parallel {i}"), env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(8)
    ]  # fmt: skip
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids.append(out.strip())
    assert len(set(ids)) == 8
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert sorted(t["id"] for t in listed) == sorted(ids)


WRITER = """
import asyncio, sys
from maos_tui.store import Store

async def main(url, n, tag):
    store = await Store.open(url)
    for i in range(n):
        await store.tasks.create(f"{tag}-{i}")
    await store.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""


def test_four_writer_processes_1000_distinct_ids(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    url = cli.db_url

    def run(tag: str) -> int:
        return subprocess.run(
            [sys.executable, "-c", WRITER, url, "250", tag], capture_output=True, timeout=300
        ).returncode

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, ["w0", "w1", "w2", "w3"])) == [0, 0, 0, 0]
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert len(listed) == 1000
    assert len({t["id"] for t in listed}) == 1000
    assert {t["title"] for t in listed} == {f"w{w}-{i}" for w in range(4) for i in range(250)}


def test_the_command_table_matches_what_the_modules_register() -> None:
    import argparse

    from maos_tui import cli as entry

    for name, module in entry.COMMANDS.items():
        common = entry.common_options()
        sub = argparse.ArgumentParser().add_subparsers()
        entry.importlib.import_module(f"maos_tui.commands.{module}").register(sub, common)
        assert name in sub.choices, f"maos_tui.commands.{module} does not register {name}"
    full = entry.build_parser(["--help"])
    listed = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert list(listed.choices) == list(entry.COMMANDS)


def test_help_and_unknown_commands_still_list_every_command(cli: Cli) -> None:
    from maos_tui.cli import COMMANDS

    help_text = cli.ok("--help")
    unknown = cli("--workspace", ".", "tsk", "add", "x")
    assert unknown.returncode == 2
    for name in COMMANDS:
        assert name in help_text
        assert name in unknown.stderr


# Runs `main` twice in one interpreter, as a script looping over commands would, and reports
# the collector's state after each call.
_GC_PROBE = """
import contextlib, gc, io, json, sys
from maos_tui.cli import main
seen = []
for title in ("first", "second"):
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([*sys.argv[1:], title])
    seen.append({"code": code, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()})
print(json.dumps(seen))
"""


def test_start_up_objects_are_frozen_once_and_collection_resumes(cli: Cli) -> None:
    cli.ok("init")
    done = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, "--workspace", str(cli.workspace), "task", "add"],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(),
    )
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert first["code"] == second["code"] == 0
    assert first["enabled"] and second["enabled"]
    # The modules loaded for the store are out of the collector's way...
    assert first["frozen"] > 10_000
    # ...once: a second round's garbage must stay collectable.
    assert second["frozen"] <= first["frozen"]
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert [t["title"] for t in listed] == ["first", "second"]
