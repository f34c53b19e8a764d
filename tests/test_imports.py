"""Import hygiene: litellm costs seconds to import, so the CLI and the board's first paint
must never load it (only a scheduler that is about to call a model does). The database
layer (SQLAlchemy, SQLModel, pydantic) alone takes longer than the first paint may: on a
current SQLite database the paint happens before it is imported."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from maos_tui.store.stdlib.compiled_sql import SCHEMA_VERSION
from tests.conftest import Cli

# Runs the real entry point in a fresh interpreter, then reports which of the packages
# named in its first argument ended up loaded. TEXTUAL_DRIVER swaps in the headless
# driver: no terminal needed. With MAOS_BENCH_EXIT_AFTER_PAINT=1 the app exits in the
# first paint's callback, so what is loaded at the end was loaded by the paint (exiting
# imports none of these).
_PROBE = """
import json, sys
from maos_tui.cli import main
code = main(sys.argv[2:])
wanted = set(sys.argv[1].split(","))
print(json.dumps({"code": code, "loaded": sorted(
    {m.split(".")[0] for m in sys.modules} & wanted
)}))
"""
_DATABASE_LAYER = ("sqlalchemy", "sqlmodel", "pydantic")
_PAINT_ONLY = {
    "MAOS_BENCH_EXIT_AFTER_PAINT": "1",
    "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
}


def loaded_packages(
    cli: Cli, packages: tuple[str, ...], *args: str, **env: str
) -> tuple[list[str], str]:
    """Which of `packages` `maos-tui *args` loaded, and what it wrote to stderr."""
    probe = [sys.executable, "-c", _PROBE, ",".join(packages)]
    done = subprocess.run(
        [*probe, "--workspace", str(cli.workspace), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(**env),
        cwd=cli.workspace,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return report["loaded"], done.stderr


def with_llm_agent(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")


def test_task_add_does_not_import_litellm(cli: Cli) -> None:
    with_llm_agent(cli)
    loaded, _ = loaded_packages(cli, ("litellm",), "task", "add", "Write the docs")
    assert loaded == []


def test_first_paint_does_not_import_litellm(cli: Cli) -> None:
    with_llm_agent(cli)
    cli.ok("task", "add", "Write the docs", "--assign", "coder")
    loaded, stderr = loaded_packages(cli, ("litellm",), **_PAINT_ONLY)
    assert "first paint" in stderr  # the board really painted before the app exited
    assert loaded == []


def test_first_paint_does_not_import_the_database_layer(cli: Cli) -> None:
    with_llm_agent(cli)
    cli.ok("task", "add", "Write the docs", "--assign", "coder")
    loaded, stderr = loaded_packages(cli, _DATABASE_LAYER, **_PAINT_ONLY)
    assert "first paint" in stderr
    assert loaded == []


def test_an_older_schema_is_painted_through_the_store(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Write the docs")
    db = cli.workspace / ".maos" / "state.db"
    with sqlite3.connect(db) as conn:  # a database as schema 1 left it: no search index
        conn.execute("DROP TABLE search_index")
        conn.execute("UPDATE maos_meta SET value = '1' WHERE key = 'schema_version'")
    loaded, stderr = loaded_packages(cli, _DATABASE_LAYER, **_PAINT_ONLY)
    assert "first paint" in stderr
    assert loaded == sorted(_DATABASE_LAYER)  # the store was opened (and migrated) first
    with sqlite3.connect(db) as conn:
        version = conn.execute("SELECT value FROM maos_meta WHERE key = 'schema_version'")
        assert version.fetchone() == (str(SCHEMA_VERSION),)


def test_a_store_failing_after_the_paint_is_one_error_line(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Write the docs")
    cli.ok("agent", "add", "x", "--command", "echo")
    # Only opening the store finds this (it mirrors the config's agents), after the paint.
    (cli.workspace / ".maos" / "config.toml").write_text('[[agents]]\nname = "x"\nmodel = "m"\n')
    line = cli.error(TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver")
    assert "agent x is defined in config.toml and was also added with `agent add`" in line


def test_the_loaded_board_for_rss_10k_has_its_store_and_services(cli: Cli) -> None:
    """rss-10k measures the board fully open (MAOS_BENCH_EXIT_WHEN_LOADED=1), not the first
    paint, which comes before the store is imported."""
    cli.ok("init")
    cli.ok("task", "add", "Write the docs")
    (cli.workspace / "WORKING.md").unlink()
    loaded, _ = loaded_packages(
        cli,
        _DATABASE_LAYER,
        MAOS_BENCH_EXIT_WHEN_LOADED="1",
        TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver",
    )
    assert loaded == sorted(_DATABASE_LAYER)
    assert "Write the docs" in (cli.workspace / "WORKING.md").read_text()  # the sync ran
