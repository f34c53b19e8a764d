"""`maos-tui alerts test` (one line per channel, exit 1 if any failed) and the `[alerts]`
settings' errors, with file and line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fakes.support import write_config

from .conftest import Hook


def test_alerts_test_says_which_channel_worked(cli, workspace: Path, hook: Hook) -> None:
    cli.ok("init")
    out = workspace / "got.json"
    copy = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    write_config(
        workspace,
        f'[alerts]\nwebhook = "{hook.url("/hook?token=s3cr3t")}"\n'
        f"command = {json.dumps([sys.executable, '-c', copy])}\n",
    )
    result = cli("alerts", "test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "skipped  terminal: stderr is not a terminal",
        f"ok       webhook http://127.0.0.1:{hook.port}/***",
        f"ok       command {sys.executable}",
    ]
    assert "s3cr3t" not in result.stdout + result.stderr
    assert [a["kind"] for a in hook.posts[0].json()["alerts"]] == ["test"]
    assert json.loads(out.read_text())["alerts"][0]["kind"] == "test"


def test_alerts_test_fails_when_a_channel_fails(cli, workspace: Path, hook: Hook) -> None:
    cli.ok("init")
    hook.status = 503
    write_config(
        workspace,
        f'[alerts]\nterminal = false\nwebhook = "{hook.url()}"\ncommand = ["false"]\n',
    )
    result = cli("alerts", "test", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {
            "channel": f"webhook http://127.0.0.1:{hook.port}/***",
            "status": "failed",
            "detail": "HTTP 503 Service Unavailable",
        },
        {"channel": "command false", "status": "failed", "detail": "false exited with status 1"},
    ]


def test_alerts_test_with_no_channel_on_is_an_error(cli, workspace: Path) -> None:
    cli.ok("init")
    write_config(workspace, "[alerts]\nterminal = false\n")
    assert cli.error("alerts", "test") == (
        "error: no alert channel is on: set one in [alerts] of config.toml"
    )


def test_bad_alert_settings_name_file_and_line(cli, workspace: Path) -> None:
    cli.ok("init")
    config = workspace / ".maos" / "config.toml"
    for line, problem in (
        (
            'webhook = "ftp://me:pw@host/x"',
            "key alerts.webhook: must be an http:// or https:// URL",
        ),
        ('webhook = "https://"', "key alerts.webhook: must be an http:// or https:// URL"),
        ("command = []", "key alerts.command: must not be empty"),
        ('command = "notify"', "key alerts.command: must be an array of strings"),
        ('desktop = "yes"', "key alerts.desktop: must be true or false"),
        ('webhook_format = "slack"', "key alerts.webhook_format: must be one of auto, json"),
    ):
        write_config(workspace, f"[alerts]\nterminal = true\n{line}\n")
        error = cli.error("alerts", "test")
        assert error.startswith(f"error: {config}:3: {problem}"), error
        assert "pw@" not in error
