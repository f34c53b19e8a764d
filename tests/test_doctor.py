"""`maos-tui doctor`: reports every problem, exits 1 on errors, and never changes a file."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli


def checks(cli: Cli, *extra: str) -> tuple[int, list[dict[str, str]]]:
    result = cli("doctor", "--offline", "--json", *extra)
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is (result.returncode == 0)
    return result.returncode, report["checks"]


def statuses(found: list[dict[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for check in found:
        out.setdefault(check["check"], set()).add(check["status"])
    return out


def test_healthy_workspace(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "shell", "--command", "echo hi")
    code, found = checks(cli)
    assert code == 0
    server = {"permissions": {"ok"}} if str(cli.db_url).startswith("postgresql") else {}
    assert statuses(found) == {
        "database": {"ok"},
        "working": {"ok"},
        "config": {"ok"},
        "agent": {"ok"},
        "alerts": {"ok"},
        **server,
    }
    text = cli.ok("doctor", "--offline")
    checked = "schema v" if server else "integrity ok, schema v"
    assert checked in text and text.rstrip().endswith("no problems found")


def test_fresh_folder_is_warned_about_and_left_empty(cli: Cli, workspace: Path) -> None:
    code, found = checks(cli)
    assert code == 0 and statuses(found)["database"] == {"warning"}
    assert list(workspace.iterdir()) == []  # nothing created, not even .maos/


def test_every_problem_is_reported_at_once(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "gone", "--command", "no-such-program-anywhere --flag")
    (workspace / ".maos" / "config.toml").write_text(
        '[scheduler]\nmax_parallel = "four"\n[[agents]]\nname = "bad"\ncommand = "a string"\n'
    )
    (workspace / "WORKING.md").write_bytes(b"# x\n\xff\xfe binary\n")
    code, found = checks(cli)
    assert code == 1
    errors = [c["message"] for c in found if c["status"] == "error"]
    assert any("scheduler.max_parallel" in m for m in errors)
    assert any("[[agents]] #1 key command" in m and "array of strings" in m for m in errors)
    assert any("not UTF-8" in m or "binary" in m for m in errors)
    assert any("no-such-program-anywhere" in m and "not found" in m for m in errors)
    assert cli("doctor", "--offline").stdout.rstrip().endswith("problems found")


@pytest.mark.sqlite_only
def test_newer_schema_and_foreign_database(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    db = workspace / ".maos" / "state.db"
    with sqlite3.connect(db) as con:
        con.execute("UPDATE maos_meta SET value = '42' WHERE key = 'schema_version'")
    con.close()
    code, found = checks(cli)
    assert code == 1 and any("newer maos-tui" in c["message"] for c in found)
    db.unlink()
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE notes (x)")
    con.close()
    before = db.read_bytes()
    code, found = checks(cli)
    assert code == 1 and any("no maos-tui schema" in c["message"] for c in found)
    assert db.read_bytes() == before


@pytest.mark.sqlite_only
def test_loose_permissions_are_errors(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    os.chmod(workspace / ".maos" / "state.db", 0o644)
    code, found = checks(cli)
    assert code == 1
    security = [c for c in found if c["check"] == "security"]
    assert [c["status"] for c in security] == ["error"]
    assert "mode 644" in security[0]["message"] and "chmod 600" in security[0]["message"]
    os.chmod(workspace / ".maos" / "state.db", 0o600)
    os.chmod(workspace / ".maos", 0o755)
    code, found = checks(cli)
    assert code == 1
    security = [c["message"] for c in found if c["check"] == "security" and c["status"] == "error"]
    assert len(security) == 1 and "mode 755" in security[0] and "chmod 700" in security[0]
    os.chmod(workspace / ".maos", 0o700)
    assert checks(cli)[0] == 0


def test_working_md_symlink_outside_and_read_only(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    cli.ok("init")
    working = workspace / "WORKING.md"
    working.chmod(0o444)
    code, found = checks(cli)
    assert any("read-only" in c["message"] for c in found if c["status"] == "warning")
    working.chmod(0o644)
    outside = tmp_path / "outside.md"
    outside.write_text(working.read_text())
    working.unlink()
    working.symlink_to(outside)
    code, found = checks(cli)
    assert code == 1
    assert any("outside the workspace" in c["message"] for c in found if c["status"] == "error")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (
            b"\xef\xbb\xbf[scheduler]\nmax_parallel = 0\n",
            "config.toml:2: key scheduler.max_parallel",
        ),
        (b"[scheduler]\nmax_parallel = 0\n", "0 would never start a task"),
        (b"\xff\xfe\n", "is not UTF-8 text"),
        (b"[scheduler\n", "invalid TOML"),
    ],
    ids=["nested", "bom", "zero", "binary", "syntax"],
)
def test_a_broken_config_is_a_finding_not_a_traceback(
    cli: Cli, workspace: Path, content: bytes, expected: str
) -> None:
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_bytes(content)
    code, found = checks(cli)
    assert code == 1
    errors = [c["message"] for c in found if c["check"] == "config" and c["status"] == "error"]
    assert len(errors) == 1 and expected in errors[0], found
