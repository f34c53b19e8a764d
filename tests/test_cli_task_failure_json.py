"""`task show --json` says why a task failed: a script reading it gets the last attempt's
error (the agent's own words) and the retry count, not only `"status": "failed"`."""

from __future__ import annotations

import json

from tests.conftest import Cli


def test_a_failed_task_shows_its_last_error_in_json(cli: Cli) -> None:
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(
        "[scheduler]\nretry_base_seconds = 0\n", encoding="utf-8"
    )
    cli.ok("agent", "add", "breaker", "--shell", "--command", 'echo "disk full" >&2; exit 3')
    tid = cli.ok("task", "add", "Breaks", "--assign", "breaker").strip()
    shown = json.loads(cli.ok("task", "show", tid, "--json"))
    assert (shown["last_error"], shown["retry_at"], shown["status_reason"]) == (None, None, None)

    cli("run", "--until-idle", "--max-seconds", "60", timeout=90)

    shown = json.loads(cli.ok("task", "show", tid, "--json"))
    assert shown["status"] == "failed", shown
    assert shown["last_error"] == "exit status 3: disk full", shown
    assert shown["retry_count"] == shown["max_retries"] == 3, shown
    assert shown["review_rounds"] == 0
