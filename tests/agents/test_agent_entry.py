"""Agents that look fine but are not: an unroutable model is refused where it is entered,
a missing key shows at once in every view (no scheduler, no litellm), `--shell` keeps the
command exactly as typed, and an api_base is a URL whose secrets are never shown."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_imports import loaded_packages

NO_KEY = {"OPENAI_API_KEY": ""}


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("notaprovider", "--model 'notaprovider' names no provider litellm knows"),
        ("llama3", "write provider/model, e.g. openai/llama3 or ollama/llama3"),
        ("notaprovider/gpt-4o", "--model 'notaprovider/gpt-4o': unknown provider 'notaprovider'"),
        ("openai/", "--model 'openai/' names no model after openai/"),
    ],
)
def test_agent_add_refuses_a_model_litellm_cannot_route(cli: Cli, model: str, reason: str) -> None:
    cli.ok("init")
    assert reason in cli.error("agent", "add", "x", "--model", model)
    assert json.loads(cli.ok("agent", "list", "--json")) == []


def test_init_refuses_a_starter_team_model_before_creating_anything(cli: Cli) -> None:
    line = cli.error("init", "--starter-team", "--model", "notaprovider")
    assert "'notaprovider' names no provider litellm knows" in line
    assert not (cli.workspace / ".maos").exists()
    assert not (cli.workspace / "WORKING.md").exists()


def test_a_missing_key_shows_offline_at_once_in_every_view(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")
    listed = cli.ok("agent", "list", **NO_KEY)
    assert "offline" in listed and "(missing OPENAI_API_KEY)" in listed
    assert "coder: offline (missing OPENAI_API_KEY)" in cli.ok("status", **NO_KEY)
    assert "(missing OPENAI_API_KEY)" in cli.ok("agent", "show", "coder", **NO_KEY)
    [shown] = json.loads(cli.ok("agent", "list", "--json", **NO_KEY))
    assert shown["status"] == "offline"
    assert "idle" in cli.ok("agent", "list", OPENAI_API_KEY="sk-test-dummy")
    loaded, _ = loaded_packages(cli, ("litellm",), "agent", "list", **NO_KEY)
    assert loaded == []


def test_a_key_command_or_an_api_base_counts_as_a_key(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "local", "--model", "openai/qwen", "--api-base", "http://127.0.0.1:9/v1")
    cli.ok("agent", "add", "claude", "--model", "anthropic/claude-sonnet-4-5")
    listed = cli.ok("agent", "list", ANTHROPIC_API_KEY="")
    assert "(missing ANTHROPIC_API_KEY)" in listed and "local" in listed
    assert "local                    idle" in listed
    (cli.workspace / ".maos" / "config.toml").write_text(
        '[api_keys]\nANTHROPIC_API_KEY = ["pass", "show", "anthropic"]\n', encoding="utf-8"
    )
    assert "missing" not in cli.ok("agent", "list", ANTHROPIC_API_KEY="")


def test_a_config_agent_with_an_unroutable_model_shows_offline_saying_why(cli: Cli) -> None:
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(
        '[[agents]]\nname = "typo"\nmodel = "notaprovider"\n', encoding="utf-8"
    )
    listed = cli.ok("agent", "list")
    assert "offline" in listed and "'notaprovider' names no provider litellm knows" in listed


def test_shell_agent_gets_the_command_exactly_as_typed(cli: Cli, tmp_path: Path) -> None:
    """The user's quotes survive: a hostile title reaches the agent as one argument."""
    record = tmp_path / "argv.json"
    tool = tmp_path / "tool.py"
    tool.write_text(
        "import json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "print('recorded')\n",
        encoding="utf-8",
    )
    command = f'{sys.executable} {tool} "$MAOS_TASK_TITLE"'
    cli.ok("init")
    cli.ok("agent", "add", "s", "--shell", "--command", command)
    assert command in cli.ok("agent", "show", "s")
    title = "/et* --output=/x -rf"
    cli.ok("task", "add", title, "--assign", "s")
    cli.ok("run", "--until-idle", "--max-seconds", "60", timeout=120)
    assert json.loads(record.read_text(encoding="utf-8")) == [title]


def test_shell_needs_a_command(cli: Cli) -> None:
    cli.ok("init")
    assert "--shell needs --command" in cli.error(
        "agent", "add", "s", "--shell", "--model", "ollama/x"
    )


@pytest.mark.parametrize("url", ["not a url", "ftp://host/v1", "http://", "http://exa mple.com/v1"])
def test_api_base_must_be_an_http_url(cli: Cli, url: str) -> None:
    cli.ok("init")
    line = cli.error("agent", "add", "x", "--model", "openai/x", "--api-base", url)
    assert line == (
        "error: --api-base must be an http:// or https:// URL with a host, "
        "e.g. http://127.0.0.1:8000/v1"
    )


def test_api_base_query_secrets_are_masked_but_kept(cli: Cli) -> None:
    secret = "s3cr3t-value-123"
    url = f"https://llm.example.com/v1?api_key={secret}&deployment=a"
    cli.ok("init")
    cli.ok("agent", "add", "x", "--model", "openai/x", "--api-base", url)
    shown = cli.ok("agent", "show", "x")
    assert "api base:    https://llm.example.com/v1?api_key=[redacted]&deployment=a" in shown
    assert secret not in shown + cli.ok("agent", "list") + cli.ok("status")
    with sqlite3.connect(cli.workspace / ".maos" / "state.db") as db:
        assert db.execute("SELECT api_base FROM agents").fetchone() == (url,)


def test_doctor_offline_names_an_unroutable_config_model(cli: Cli) -> None:
    cli.ok("init")
    (cli.workspace / ".maos" / "config.toml").write_text(
        '[[agents]]\nname = "typo"\nmodel = "notaprovider"\n', encoding="utf-8"
    )
    result = cli("doctor", "--offline")
    assert result.returncode == 1
    assert "typo: model 'notaprovider' names no provider litellm knows" in result.stdout
