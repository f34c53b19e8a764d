"""Task text never reaches the terminal raw: a title holding OSC 52 (`ESC ] 52 ; c ; ...
BEL`, which writes the clipboard) is shown as `\\x1b]52;c;aGk=\\x07` by every
human-readable command, local or served; `--json` keeps the exact text."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from maos_tui.store import Store
from tests.conftest import Cli
from tests.test_served_cli import serving  # noqa: F401 - the fixture

OSC52 = "\x1b]52;c;aGk=\x07"
SHOWN = "\\x1b]52;c;aGk=\\x07"
TITLE = f"Evil {OSC52} title"
# What a terminal may act on: C0 but newline and tab, DEL, and C1.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


async def hostile_board(store: Store) -> str:
    task = await store.tasks.create(TITLE, description="first\n\x1b[2Jsecond \x9b31m")
    async with store.write() as tx:
        await store.tasks.update_fields_in(tx, task.id, result=f"result {OSC52}")
    await store.agents.add("bot", command=["true"], role=f"role {OSC52}")
    await store.messages.post(task.id, "bot", f"message {OSC52}\nsecond line")
    await store.documents.write(task.id, TITLE, f"content {OSC52}\n", "human")
    return task.id


def assert_escaped(output: str, *expected: str) -> None:
    assert not _CONTROLS.search(output), repr(output)
    for text in expected:
        assert text in output, (text, output)


@pytest.fixture
async def hostile(cli: Cli, store: Store) -> str:
    cli.ok("init")
    return await hostile_board(store)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("task list", [f"Evil {SHOWN} title"]),
        ("task show {id}", [f"Evil {SHOWN} title", "\\x1b[2Jsecond \\x9b31m", f"result {SHOWN}"]),
        ("agent show bot", [f"role {SHOWN}"]),
        ("msg list {id}", [f"message {SHOWN}", "    second line"]),
        ("doc list", [f"Evil {SHOWN} title"]),
        ("doc show DOC-1", [f"Evil {SHOWN} title", f"content {SHOWN}"]),
        ("search evil", [f"Evil {SHOWN} title"]),
        ("working render", [f"Evil {SHOWN} title"]),
        ("task edit {id} --priority 1", [f"Evil {SHOWN} title"]),
    ],
)
async def test_every_human_readable_output_shows_control_characters_escaped(
    cli: Cli, hostile: str, args: str, expected: list[str]
) -> None:
    assert_escaped(cli.ok(*args.format(id=hostile).split()), *expected)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("task list", lambda out: out[0]["title"]),
        ("task show {id}", lambda out: out["title"]),
        ("agent show bot", lambda out: out["role"]),
        ("msg list {id}", lambda out: out[0]["text"].split()[1]),
        ("doc show DOC-1", lambda out: out["title"]),
        ("search evil", lambda out: out[0]["title"]),
    ],
)
async def test_json_keeps_the_exact_text(cli: Cli, hostile: str, args: str, field) -> None:  # type: ignore[no-untyped-def]
    found = field(json.loads(cli.ok(*args.format(id=hostile).split(), "--json")))
    assert OSC52 in found or found == OSC52


@pytest.mark.sqlite_only  # commands are served for the workspace's own database only
async def test_a_served_command_escapes_too(
    cli: Cli,
    serving: subprocess.Popen[str],  # noqa: F811 - the fixture
) -> None:
    cli.ok("task", "add", TITLE, "--description", f"about {OSC52}")
    assert_escaped(cli.ok("task", "show", "TASK-001"), f"Evil {SHOWN} title", f"about {SHOWN}")
    assert_escaped(cli.ok("task", "list"), f"Evil {SHOWN} title")
    assert json.loads(cli.ok("task", "show", "TASK-001", "--json"))["title"] == TITLE


def test_an_error_line_quoting_what_was_typed_is_escaped_too(cli: Cli) -> None:
    cli.ok("init")
    for args in (("agent", "show", f"x{OSC52}"), ("task", "list", "--assignee", f"x{OSC52}")):
        line = cli.error(*args)
        assert_escaped(line, SHOWN)
