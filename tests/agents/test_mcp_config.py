"""`mcp_servers` in config.toml: each bad entry is an error naming the file, the line and
the entry; and the names the model is offered for MCP tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from maos_tui.agents.mcp_tools import offered_name
from maos_tui.config import ConfigError, Workspace, load_config
from tests.conftest import Cli

MODEL = "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("entries", "where", "expected"),
    [
        (
            ['{ name = "fs", command = ["a"] }', '{ name = "fs", url = "http://h/mcp" }'],
            "#1 mcp_servers #2 key name",
            'name "fs" is already used by mcp_servers #1',
        ),
        (['{ name = "a.b", command = ["a"] }'], "#1 mcp_servers #1 key name", "must start with"),
        (['{ name = "a__b", command = ["a"] }'], "#1 mcp_servers #1 key name", 'without "__"'),
        (['{ name = "x" }'], "#1 mcp_servers #1", "give exactly one of command"),
        (['{ name = "x", url = "ftp://h" }'], "#1 mcp_servers #1 key url", "http:// or https://"),
        (
            ['{ name = "x", url = "http://h", headers = { A = "${OOPS" } }'],
            "#1 mcp_servers #1 key headers.A",
            "not a variable reference",
        ),
        (
            ['{ name = "x", url = "http://h", env = { A = "b" } }'],
            "#1 mcp_servers #1 key env",
            "is for a server started with command",
        ),
        (['{ name = "x", command = [] }'], "#1 mcp_servers #1 key command", "must not be empty"),
        (['{ command = ["a"] }'], "#1 mcp_servers #1", "missing key name"),
    ],
)
def test_bad_mcp_servers_are_errors_naming_file_line_and_entry(
    workspace: Path, entries: list[str], where: str, expected: str
) -> None:
    path = workspace / ".maos" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'[[agents]]\nname = "r"\nmodel = "{MODEL}"\nmcp_servers = [{", ".join(entries)}]\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(Workspace(workspace))
    message = str(raised.value)
    assert message.startswith(f"{path}:4: [[agents]] {where}: ")
    assert expected in message


def test_a_bad_entry_is_one_error_line_for_every_command(cli: Cli) -> None:
    cli.ok("init")
    path = cli.workspace / ".maos" / "config.toml"
    path.write_text(
        f'[[agents]]\nname = "r"\nmodel = "{MODEL}"\nmcp_servers = [{{ name = "x" }}]\n'
    )
    line = cli.error("agent", "list")
    assert line.startswith(f"error: {path}:4: [[agents]] #1 mcp_servers #1: give exactly one of")


def test_a_command_agent_cannot_have_mcp_servers(workspace: Path) -> None:
    path = workspace / ".maos" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        '[[agents]]\nname = "c"\ncommand = ["x"]\nmcp_servers = []\n[[agents]]\n'
        'name = "d"\ncommand = ["x"]\nmcp_servers = [{ name = "a", command = ["b"] }]\n'
    )
    with pytest.raises(ConfigError, match=r":8: \[\[agents\]\] #2 key mcp_servers: is for LLM"):
        load_config(Workspace(workspace))


def test_offered_names_fit_openai_rules_and_stay_distinct() -> None:
    taken: set[str] = set()
    names = []
    for server, tool in [
        ("fs", "read_file"),
        ("fs", "read.file"),
        ("fs", "read_file"),
        ("web", "x" * 80),
    ]:
        name = offered_name(server, tool, taken.__contains__)
        taken.add(name)
        names.append(name)
    assert names[0] == "fs__read_file"
    assert names[1] != names[0] and names[1].startswith("fs__read_file_")
    assert len(set(names)) == 4
    assert all(len(n) <= 64 and n.replace("_", "a").replace("-", "a").isalnum() for n in names)
