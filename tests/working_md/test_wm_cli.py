"""`maos-tui working ...` and the rewrite after every CLI change, as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path


def test_cli_changes_rewrite_the_file_and_apply_pending_hand_edits(cli, workspace) -> None:
    cli.ok("init")
    cli.ok("task", "add", "First", "--priority", "1")
    working = workspace / "WORKING.md"
    assert "- [TASK-001] First !P1" in working.read_text()
    working.write_text(working.read_text().replace("### DONE\n", "### DONE\n- Typed by hand\n"))
    cli.ok("task", "add", "Second")
    text = working.read_text()
    assert "- [TASK-003] Typed by hand ✅" in text and "- [TASK-002] Second" in text


def test_render_sync_check_history_and_restore(cli, workspace) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Keep me")
    working = workspace / "WORKING.md"
    assert cli.ok("working", "render") == working.read_text()
    working.write_text(working.read_text().replace("### INBOX\n", "### INBOX\n- [TASK-050] x\n"))
    result = cli("working", "check")
    assert result.returncode == 1
    assert result.stdout == "line 9: unknown task TASK-050: - [TASK-050] x\n"
    assert result.stderr.strip().splitlines()[-1].startswith("error: 1 problem line in ")
    assert json.loads(cli("working", "check", "--json").stdout) == [
        {"line": 9, "reason": "unknown task TASK-050", "text": "- [TASK-050] x"}
    ]
    fixed = working.read_text().replace("- [TASK-050] x\n", "")
    working.write_text(fixed.replace("[TASK-001] Keep me", "[TASK-001] Kept"))
    assert cli.ok("working", "check") == ""
    cli.ok("working", "sync")
    assert json.loads(cli.ok("task", "show", "TASK-001", "--json"))["title"] == "Kept"
    revisions = json.loads(cli.ok("working", "history", "--json"))
    assert revisions[0]["kind"] == "rewrite" and set(revisions[0]) == {
        "rev",
        "time",
        "kind",
        "bytes",
        "path",
    }
    first_with_task = min(r["rev"] for r in revisions if "Keep me" in Path(r["path"]).read_text())
    cli.ok("working", "restore", str(first_with_task))
    assert json.loads(cli.ok("task", "show", "TASK-001", "--json"))["title"] == "Keep me"
    assert str(first_with_task) in cli.ok("working", "history")


def test_bad_working_commands_give_one_line_errors(cli, workspace) -> None:
    cli.ok("init")
    assert "no WORKING.md revision 999" in cli.error("working", "restore", "999")
    assert "revision must be a number" in cli.error("working", "restore", "abc")
    (workspace / "WORKING.md").write_bytes(b"\xff\xfe not utf-8")
    result = cli("working", "check")
    assert result.returncode == 1 and "cannot be read" in result.stdout
    result = cli("working", "sync")
    assert result.returncode == 0 and "refused" in result.stderr
    assert list(workspace.glob("WORKING.md.rejected-*"))
