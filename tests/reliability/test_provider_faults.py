"""Fault 6 and the secrets rule: an LLM provider that misbehaves, driven by `maos-tui run`.

Hang, a connection cut mid-body, a body that is not JSON, a call to an unknown tool,
100 tool calls at once and a 10 MB reply each end as a failed or finished run with a clear
error, while a command agent's task is served meanwhile. The API key used for every
request must then appear nowhere: not in any file under the workspace (database, WAL,
WORKING.md, history, run logs) and not in anything the program printed, even when the
provider echoes the key back in an error.
"""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

from maos_tui.agents.tools import MAX_DESCRIPTION_CHARS
from tests.conftest import Cli
from tests.reliability.helpers import task_statuses
from tests.reliability.hostile_provider import MODES, HostileProvider

HANG_TIMEOUT = 5


def run_rows(db: Path) -> dict[str, dict[str, str]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT t.title, r.outcome, coalesce(r.error, ''), r.output_log, r.ended_at "
            "FROM runs r JOIN tasks t ON t.id = r.task_id ORDER BY r.id"
        ).fetchall()
    finally:
        con.close()
    return {
        title.split()[0]: {"outcome": outcome, "error": error, "log": log, "ended": ended}
        for title, outcome, error, log, ended in rows
    }


def test_misbehaving_provider_fails_runs_cleanly_and_never_leaks_the_key(
    cli: Cli, workspace: Path
) -> None:
    key = f"sk-maostest-{secrets.token_hex(16)}"
    cli.ok("init")
    (workspace / ".maos" / "config.toml").write_text(
        "[scheduler]\nmax_parallel = 10\nretry_base_seconds = 0.1\n"
    )
    with HostileProvider() as provider:
        cli.ok("agent", "add", "llm", "--model", "openai/hostile", "--api-base",
               provider.base_url, "--max-concurrent", "8")  # fmt: skip
        cli.ok("agent", "add", "side", "--command", f"{sys.executable} -c 'print(\"side done\")'")
        for mode in MODES:
            cli.ok("task", "add", f"provider-{mode} job", "--assign", "llm")
        cli.ok("task", "add", "side job", "--assign", "side")
        db = workspace / ".maos" / "state.db"
        with sqlite3.connect(db) as con:  # no CLI flag for these: fail fast, no retries
            con.execute("UPDATE tasks SET max_retries = 0")
            con.execute(
                "UPDATE tasks SET timeout_seconds = ? WHERE title LIKE 'provider-hang%'",
                (HANG_TIMEOUT,),
            )
        con.close()
        run = subprocess.run(cli.argv("run", "--until-idle", "--max-seconds", "90"),
                             env=cli.env(OPENAI_API_KEY=key), capture_output=True, text=True,
                             timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        assert any(key in str(headers) for _, headers in provider.requests)  # the key was used

    statuses = task_statuses(db)
    assert set(statuses.values()) <= {"done", "failed"}, (statuses, run_rows(db))
    assert len(statuses) == len(MODES) + 1
    runs = run_rows(db)
    summary = {mode: (r["outcome"], r["error"][:120]) for mode, r in runs.items()}
    assert runs["side"]["outcome"] == "done"
    assert runs["side"]["ended"] < runs["provider-hang"]["ended"], summary  # served meanwhile
    assert runs["provider-hang"]["outcome"] == "failed"
    assert "timed out" in runs["provider-hang"]["error"].lower(), summary
    for mode in ("drop", "badjson", "echokey"):
        run_row = runs[f"provider-{mode}"]
        assert run_row["outcome"] == "failed" and run_row["error"].strip(), summary
        assert "Traceback" not in run_row["error"]
    assert "unknown tool 'format_disk'" in runs["provider-unknowntool"]["log"], summary
    assert runs["provider-unknowntool"]["outcome"] == "done"
    assert "tool call limit reached" in runs["provider-manytools"]["log"], summary
    huge = runs["provider-huge"]
    assert huge["outcome"] == "failed" and "no result" in huge["error"], summary
    assert len(huge["log"]) <= 64 * 1024  # 20 MB of replies, a bounded tail kept

    printed = run.stdout + run.stderr
    assert key not in printed
    leaks = [
        str(path.relative_to(workspace))
        for path in workspace.rglob("*")
        if path.is_file() and key.encode() in path.read_bytes()
    ]
    assert leaks == []
    assert "[redacted]" in runs["provider-echokey"]["error"], summary

    # Tools only touch the store: a path in a document title opens no file, a 10 MB
    # description is refused, tools not offered (or invented) are refused by name.
    overreach = runs["provider-overreach"]["log"]
    assert runs["provider-overreach"]["outcome"] == "done", summary
    assert not list(workspace.parent.rglob("outside-pwned*"))
    assert "unknown tool 'request_changes'" in overreach and "unknown tool 'run_shell'" in overreach
    assert f"at most {MAX_DESCRIPTION_CHARS}" in overreach
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT count(*) FROM tasks WHERE title = 'flood'").fetchone() == (0,)
        longest = con.execute("SELECT max(length(description)) FROM tasks").fetchone()[0]
        assert longest <= MAX_DESCRIPTION_CHARS
    finally:
        con.close()
