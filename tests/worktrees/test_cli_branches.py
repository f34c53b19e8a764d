"""`maos-tui task diff|approve|merge|rebase` and `worktree list|prune` through the real
program on a real repository: each happy path and each bad input the issue names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.worktrees.cli_setup import repo_workspace, task_with_change
from tests.worktrees.conftest import branches, commit_file, git, head, write


@pytest.fixture
def ws(cli: Cli) -> Path:
    repo_workspace(cli.workspace)
    cli.ok("init")
    return cli.workspace


def test_diff_shows_the_change_with_new_files(cli: Cli, ws: Path) -> None:
    tid = task_with_change(ws, "Add notes", {"NOTES.md": "one\ntwo\n", "src/util.py": "x = 1\n"})
    text = cli.ok("task", "diff", tid)
    assert "+++ b/NOTES.md" in text and "+two" in text and "-    return 1" in text
    stat = cli.ok("task", "diff", tid, "--stat")
    assert "+2" in stat and "NOTES.md" in stat and "2 files changed" in stat
    payload = json.loads(cli.ok("task", "diff", tid, "--json"))
    assert {f["path"] for f in payload["files"]} == {"NOTES.md", "src/util.py"}
    assert payload["added"] == 3 and payload["truncated"] is False and "+one" in payload["diff"]
    assert "diff" not in json.loads(cli.ok("task", "diff", tid, "--stat", "--json"))
    assert f"branch:     maos/{tid}-add-notes from main" in cli.ok("task", "show", tid)
    shown = json.loads(cli.ok("task", "show", tid, "--json"))["branch"]
    assert shown["branch"].startswith(f"maos/{tid}-add-notes") and shown["change"] == "changes"


def test_bad_ids_and_tasks_without_a_worktree_are_one_line_errors(cli: Cli, ws: Path) -> None:
    plain = cli.ok("task", "add", "No run yet").strip()
    for action in ("diff", "approve", "merge", "rebase"):
        assert "unknown task TASK-404" in cli.error("task", action, "TASK-404")
        assert f"{plain} has no worktree" in cli.error("task", action, plain)
    assert "invalid" in cli("task", "merge", plain, "--strategy", "octopus").stderr


def test_approve_squashes_into_the_base_and_cleans_up(cli: Cli, ws: Path) -> None:
    tid = task_with_change(ws, "Add notes", {"NOTES.md": "notes\n"})
    out = cli.ok("task", "approve", tid)
    assert f"{tid} merged into main as" in out and "(squash)" in out
    assert (ws / "NOTES.md").read_text() == "notes\n"
    assert git(ws, "log", "-1", "--format=%s") == f"{tid}: Add notes"
    task = json.loads(cli.ok("task", "show", tid, "--json"))
    assert task["status"] == "done" and head(ws) in task["result"]
    assert task["branch"]["merge_commit"] == head(ws) and task["branch"]["worktree"] is None
    assert not (ws / ".maos" / "worktrees" / tid).exists()
    assert not [b for b in branches(ws) if b.startswith("maos/")]
    assert "already merged" in cli.error("task", "merge", tid)
    assert "is done, not in review" in cli.error("task", "approve", tid)
    assert "was merged into main" in cli.error("task", "diff", tid)


@pytest.mark.parametrize("strategy", ["merge", "rebase"])
def test_merge_takes_a_strategy(cli: Cli, ws: Path, strategy: str) -> None:
    tid = task_with_change(ws, "Add notes", {"NOTES.md": "notes\n"})
    merged = json.loads(cli.ok("task", "merge", tid, "--strategy", strategy, "--json"))
    assert merged["strategy"] == strategy and merged["commit"] == head(ws)
    assert (ws / "NOTES.md").exists()


def test_a_dirty_main_checkout_refuses_naming_the_files_and_changes_nothing(
    cli: Cli, ws: Path
) -> None:
    tid = task_with_change(ws, "Edit readme", {"README.md": "from the agent\n"})
    write(ws, "README.md", "my own edit\n")
    before = head(ws)
    line = cli.error("task", "merge", tid)
    assert "README.md" in line and "commit or stash" in line
    assert head(ws) == before and (ws / "README.md").read_text() == "my own edit\n"
    assert json.loads(cli.ok("task", "show", tid, "--json"))["status"] == "review"


def test_a_conflict_is_shown_and_rebase_gives_the_author_a_conflict_run(cli: Cli, ws: Path) -> None:
    cli.ok("agent", "add", "coder", "--command", "true")
    tid = task_with_change(ws, "Edit readme", {"README.md": "from the agent\n"})
    commit_file(ws, "README.md", "moved on\n", "base moves")
    before = head(ws)
    line = cli.error("task", "merge", tid)
    assert "no longer merges cleanly" in line and "README.md" in line
    assert head(ws) == before
    task = json.loads(cli.ok("task", "show", tid, "--json"))
    assert task["branch"]["conflict"] == ["README.md"] and task["status"] == "review"
    assert "no author" in cli.error("task", "rebase", tid)
    cli.ok("task", "assign", tid, "coder")
    out = cli.ok("task", "rebase", tid)
    assert f"{tid} -> in_progress: a conflict run resolves README.md" in out


def test_worktree_list_and_prune_refuse_to_lose_work(cli: Cli, ws: Path) -> None:
    kept = task_with_change(ws, "Unmerged work", {"A.md": "a\n"})
    dirty = task_with_change(ws, "Dirty work", {"B.md": "b\n"}, commit=False)
    listed = json.loads(cli.ok("worktree", "list", "--json"))
    by_task = {w["task"]: w for w in listed}
    assert by_task[kept]["ahead"] == 1 and by_task[kept]["uncommitted"] == []
    assert by_task[dirty]["uncommitted"] == ["B.md"] and by_task[dirty]["size_bytes"] > 0
    assert kept in cli.ok("worktree", "list")
    # Nothing finished yet: prune has nothing to do.
    assert "nothing to prune" in cli.ok("worktree", "prune")
    cli.ok("task", "cancel", kept)
    cli.ok("task", "archive", dirty)
    assert any(b.startswith(f"maos/{kept}") for b in branches(ws))  # cancelling keeps it
    refused = cli("worktree", "prune")
    assert refused.returncode != 0
    assert "unmerged commit" in refused.stderr and kept in refused.stderr
    assert "B.md" in refused.stderr and dirty in refused.stderr
    assert len(json.loads(cli.ok("worktree", "list", "--json"))) == 2
    forced = json.loads(cli.ok("worktree", "prune", "--force", "--json"))
    assert {r["task"] for r in forced["removed"]} == {kept, dirty}
    assert json.loads(cli.ok("worktree", "list", "--json")) == []
    assert head(ws, "main") == git(ws, "rev-parse", "main")  # the main branch untouched


def test_worktree_commands_outside_a_repository_are_one_line_errors(cli: Cli) -> None:
    cli.ok("init")
    assert "git" in cli.error("worktree", "list")


def test_doctor_reports_worktree_disk_use_and_orphans(cli: Cli, ws: Path) -> None:
    kept = task_with_change(ws, "Kept", {"A.md": "a\n"})
    gone = task_with_change(ws, "Gone", {"B.md": "b\n"})
    checks = json.loads(cli("doctor", "--offline", "--json").stdout)["checks"]
    [usage] = [c for c in checks if c["check"] == "worktrees"]
    assert usage["status"] == "ok" and usage["message"].startswith("2 task worktrees, ")
    import shutil

    shutil.rmtree(ws / ".maos" / "worktrees" / gone)  # its folder deleted by hand
    (ws / ".maos" / "worktrees" / "stray").mkdir()
    found = [c for c in json.loads(cli("doctor", "--offline", "--json").stdout)["checks"]]
    messages = [c["message"] for c in found if c["check"] == "worktrees"]
    assert any(m.startswith("1 task worktree,") for m in messages), messages
    assert f"tasks whose worktree folder is gone: {gone}" in messages
    assert any("git does not know" in m and "stray" in m for m in messages)
    assert kept not in " ".join(messages[1:])
