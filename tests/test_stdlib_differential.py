"""The read commands (and `task add`) on their two runners, compared byte for byte: the
stdlib path (store/stdlib/) and the store, forced with MAOS_STDLIB=0. Each command runs in
a real subprocess on a busy board (relations, messages, documents, agents, runs with
costs, archived and failed tasks, text with control characters), text and --json, and
each run reports whether it loaded SQLAlchemy, so that a case where the stdlib path
silently gave up would not pass as equal.

And the stdlib path leaves to the store what only the store does: a schema to migrate and
config agents to mirror (the store then answers), and a served command."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.test_first_read import busy_board as first_paint_board
from tests.test_served_cli import serving  # noqa: F401 - the fixture

# The real entry point; its stdout is the command's own, and the last line of stderr says
# whether the database layer was loaded, and whether the command ran here (its handler
# runs under asyncio, which the client of a served command never imports).
_PROBE = """
import json, sys
from maos_tui.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
report = {"code": code, "store": "sqlalchemy" in sys.modules, "local": "asyncio" in sys.modules}
print(json.dumps(report), file=sys.stderr)
raise SystemExit(code)
"""
ESCAPE = "\x1b]52;c;aGk=\x07"


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: bytes
    stderr: bytes
    store: bool
    local: bool


def run(cli: Cli, *args: str, **env: str) -> Ran:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--workspace", str(cli.workspace), *args],
        capture_output=True,
        timeout=120,
        env=cli.env(**env),
        cwd=cli.workspace,
    )
    *stderr, report_line = done.stderr.splitlines(keepends=True)
    report = json.loads(report_line)
    assert done.returncode == report["code"], done.stderr
    return Ran(report["code"], done.stdout, b"".join(stderr), report["store"], report["local"])


async def busy_board(url: str) -> dict[str, str]:
    """The first paint's busy board (agents, relations, runs with costs, done, failed and
    archived tasks), and what the read commands show beyond it: threads with replies,
    documents with versions, results, waiting reasons, subtasks, control characters.
    Returns task IDs by role."""
    store = await Store.open(url)
    try:
        await first_paint_board(store)
        ids = {t.title: t.id for t in await store.tasks.list()}
        setup, failed, running = ids["Set up the repo"], ids["Flaky build"], ids["Being worked on"]
        evil = await store.tasks.create(f"Evil {ESCAPE} title", description=f"body {ESCAPE}")
        sub = await store.tasks.create(
            "Subtask ünïcode", description="Part one.\nSecond line\twith a tab.", parent=setup
        )
        archived = await store.tasks.create("Archived idea", description="old part")
        await store.messages.post(archived.id, "human", "a thought on part one")
        await store.documents.write(archived.id, "Old notes", "part of the past", "human")
        await store.tasks.archive(archived.id)
        async with store.write() as tx:
            await store.tasks.update_fields_in(
                tx, failed, result=f"half done {ESCAPE}", last_error="exit 1"
            )
            await store.tasks.set_reasons_in(tx, {ids["Write part 0"]: "waiting for TASK-001"})
        question = await store.messages.post(running, "coder", "@human which part?", "question")
        await store.messages.post(
            running, "human", f"part two {ESCAPE}\nthen three", reply_to=question.id
        )
        await store.documents.write(running, "Design part", "v1 of the part", "coder")
        await store.documents.write(running, "Design part", "v2 of the part", "human", "research")
        await store.documents.write(ids["Write part 1"], f"Spec {ESCAPE}", "the spec", "human")
    finally:
        await store.close()
    return {
        "setup": setup,
        "part": ids["Write part 0"],
        "sub": sub.id,
        "evil": evil.id,
        "failed": failed,
        "archived": archived.id,
        "running": running,
    }


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, dict[str, str]]:
    root = tmp_path_factory.mktemp("differential") / "ws"
    root.mkdir()
    cli = Cli(root)
    cli.ok("init")
    ids = asyncio.run(busy_board(f"sqlite+aiosqlite:///{root / '.maos' / 'state.db'}"))
    return cli, ids


# Each read command with the arguments that take its different branches; `{role}` is a
# task of busy_board. Every case runs as text and with --json.
CASES = [
    "task list",
    "task list --archived",
    "task list --status done --status failed --status in-progress",
    "task list --assignee coder",
    "task show {setup}",
    "task show {part}",
    "task show {evil}",
    "task show {sub}",
    "task show {failed}",
    "task show {archived}",
    "task show TASK-999",
    "status",
    "agent list",
    "agent show coder",
    "agent show qa",
    "agent show ghost",
    "search part",
    "search part --limit 2",
    "search evil title",
    "search nothingmatchesthis",
    "msg list {running}",
    "msg list {archived}",
    "msg list TASK-999",
    "doc list",
    "doc list --task {running}",
    "doc list --task TASK-999",
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_both_runners_print_the_same_bytes(
    board: tuple[Cli, dict[str, str]], case: str, as_json: bool
) -> None:
    cli, ids = board
    args = case.format(**ids).split() + (["--json"] if as_json else [])
    stdlib = run(cli, *args)
    store = run(cli, *args, MAOS_STDLIB="0")
    assert (stdlib.stdout, stdlib.stderr, stdlib.code) == (store.stdout, store.stderr, store.code)
    assert (stdlib.store, store.store) == (False, True), "each runner took its own path"
    if "TASK-999" in case or "ghost" in case:
        assert stdlib.code == 1 and stdlib.stderr.startswith(b"error: unknown ")
    else:
        assert stdlib.code == 0 and not stdlib.stderr
        assert stdlib.stdout or case == "search nothingmatchesthis"


def test_the_busy_board_shows_what_the_cases_cover(board: tuple[Cli, dict[str, str]]) -> None:
    """The cases above compare something: costs, runs, relations, archived rows, hits."""
    cli, ids = board
    status = json.loads(run(cli, "status", "--json").stdout)
    assert status["cost_usd"] > 0 and status["tokens_in"] > 0
    assert {a["name"] for a in status["agents"]} == {"coder", "qa"}
    failed = json.loads(run(cli, "task", "show", ids["failed"], "--json").stdout)
    assert failed["status"] == "failed" and failed["result"].endswith(ESCAPE)
    part = json.loads(run(cli, "task", "show", ids["part"], "--json").stdout)
    assert part["after"] == [ids["setup"]] and part["blocked"] and part["labels"] == ["docs", "v1"]
    archived = json.loads(run(cli, "task", "list", "--archived", "--json").stdout)
    assert ids["archived"] in [t["id"] for t in archived] and len(archived) == 2
    hits = json.loads(run(cli, "search", "part", "--json").stdout)
    assert {h["kind"] for h in hits} == {"task", "message", "document"}
    assert ids["archived"] not in {h["task_id"] for h in hits}


def copy_workspace(cli: Cli, target: Path) -> Cli:
    """A second workspace holding the same files and database (sqlite3's backup: a
    consistent copy)."""
    shutil.copytree(cli.workspace, target, ignore=shutil.ignore_patterns("state.db*", "*.sock"))
    src = sqlite3.connect(cli.workspace / ".maos" / "state.db")
    dst = sqlite3.connect(target / ".maos" / "state.db")
    with src, dst:
        src.backup(dst)
    src.close()
    dst.close()
    return Cli(target)


def _without_times(text: bytes) -> dict[str, object]:
    task = json.loads(text)
    return {k: v for k, v in task.items() if k not in ("created_at", "updated_at")}


def test_task_add_prints_the_same_on_both_runners(
    board: tuple[Cli, dict[str, str]], tmp_path: Path
) -> None:
    """The output of `task add` (its times aside, which are the moment of each write)."""
    cli, ids = board
    stdlib_ws = copy_workspace(cli, tmp_path / "stdlib")
    store_ws = copy_workspace(cli, tmp_path / "store")
    add = ["task", "add", f"New {ESCAPE}", "--after", ids["setup"], "--label", "x"]
    stdlib, store = run(stdlib_ws, *add), run(store_ws, *add, MAOS_STDLIB="0")
    assert (stdlib.stdout, stdlib.code, stdlib.store) == (store.stdout, 0, False)
    stdlib, store = run(stdlib_ws, *add, "--json"), run(store_ws, *add, "--json", MAOS_STDLIB="0")
    assert _without_times(stdlib.stdout) == _without_times(store.stdout)
    assert (stdlib.store, store.store) == (False, True)


def test_a_schema_to_migrate_is_left_to_the_store(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Before the upgrade")
    db = cli.workspace / ".maos" / "state.db"
    with sqlite3.connect(db) as conn:  # as an older maos-tui left it, search index aside
        conn.execute("DROP TABLE search_index")
        conn.execute("UPDATE maos_meta SET value = '1' WHERE key = 'schema_version'")
    listed = run(cli, "search", "upgrade")
    assert listed.store and listed.code == 0
    assert b"Before the upgrade" in listed.stdout  # the store migrated, then searched
    again = run(cli, "search", "upgrade")
    assert not again.store and again.stdout == listed.stdout


def test_config_agents_not_yet_mirrored_are_left_to_the_store(cli: Cli) -> None:
    cli.ok("init")
    config = cli.workspace / ".maos" / "config.toml"
    config.write_text('[[agents]]\nname = "bot"\ncommand = ["true"]\n')
    first = run(cli, "agent", "list")
    assert first.store and first.stdout.startswith(b"bot ")
    second = run(cli, "agent", "list")
    assert not second.store and second.stdout == first.stdout
    config.write_text('[[agents]]\nname = "bot"\ncommand = ["false"]\n')
    changed = run(cli, "agent", "list")
    assert changed.store and b" false" in changed.stdout


def test_a_served_command_reads_the_serving_store(
    cli: Cli,
    serving: subprocess.Popen[str],  # noqa: F811 - the fixture
) -> None:
    """With `run` open, task commands go to its store, and print what the same command
    run here prints on either local runner."""
    cli.ok("task", "add", "Served", "--description", "by run")
    # The same file by another URL: only the workspace's own URL is sent to the server.
    local_db = ["--db", f"sqlite+aiosqlite:///{cli.workspace / '.maos'}/./state.db"]
    for args in (["task", "list"], ["task", "show", "TASK-001", "--json"]):
        served = run(cli, *args)
        stdlib = run(cli, *local_db, *args)
        store = run(cli, *local_db, *args, MAOS_STDLIB="0")
        assert (served.local, stdlib.local, store.local) == (False, True, True)
        assert (stdlib.store, store.store) == (False, True)
        assert served.stdout == stdlib.stdout == store.stdout
        assert b"Served" in served.stdout
