"""Config mistakes: errors and warnings that name the file, the line and the key, the same for
every command; files that are not regular files refused at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from maos_tui.config import ConfigError, Workspace, inspect_config, load_config
from maos_tui.config_lines import LineIndex
from maos_tui.tui.keymap_check import keymap_problems
from maos_tui.tui.keys import KEYS
from tests.conftest import Cli


def write_config(root: Path, text: str | bytes) -> Path:
    path = root / ".maos" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def config_error(root: Path, text: str) -> str:
    write_config(root, text)
    with pytest.raises(ConfigError) as raised:
        load_config(Workspace(root))
    return str(raised.value)


AGENT = '[[agents]]\nname = "coder"\ncommand = ["tool"]\n'


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        (AGENT + 'shell = "false"\n', ":4: [[agents]] #1 key shell", "must be true or false"),
        (
            AGENT + 'capabilities = "review"\n',
            ":4: [[agents]] #1 key capabilities",
            'must be an array of strings, e.g. ["code", "review"]',
        ),
        (
            AGENT + "\n" + AGENT,
            ":6: [[agents]] #2 key name",
            'name "coder" is already used by [[agents]] #1',
        ),
        (
            "[scheduler]\nmax_parallel = 0\n",
            ":2: key scheduler.max_parallel",
            "must be at least 1, not 0: 0 would never start a task",
        ),
        (
            "[scheduler]\nloop_same_call = 1\n",
            ":2: key scheduler.loop_same_call",
            "must be at least 2, not 1: 1 would call every tool call a loop",
        ),
        (
            "[scheduler]\nloop_diff_steps = 1\n",
            ":2: key scheduler.loop_diff_steps",
            "must be at least 2, not 1: 1 would flag every read",
        ),
        (
            "[scheduler]\nloop_diff_minutes = 0\n",
            ":2: key scheduler.loop_diff_minutes",
            "must be at least 0.05, not 0: less would flag edits",
        ),
        (
            '[scheduler]\nloop_diff_minutes = "soon"\n',
            ":2: key scheduler.loop_diff_minutes",
            'must be a number, not the string "soon"',
        ),
        ('[[agents]]\nname = "m"\nmodel = 5\n', ":3: [[agents]] #1 key model", "must be a string"),
        (
            AGENT + 'heartbeat_seconds = "x"\n',
            ":4: [[agents]] #1 key heartbeat_seconds",
            'must be a whole number, not the string "x"',
        ),
        (
            '[scheduler]\nbudget_usd = "lots"\n',
            ":2: key scheduler.budget_usd",
            'must be a number, not the string "lots"',
        ),
        (
            "[scheduler]\nmax_retries = 99999999999999999999999\n",
            ":2: key scheduler.max_retries",
            "too large",
        ),
        ("[scheduler]\nretry_max_seconds = nan\n", ":2: key scheduler.", "must be a finite number"),
        ("scheduler = 3\n", ":1: key scheduler", "must be a table, not the number 3"),
        ('[[agents]]\nrole = "r"\n', ":1: [[agents]] #1", "missing key name"),
        ('[[agents]]\nname = "n"\n', ":1: [[agents]] #1", "give exactly one of model or command"),
        ("[api_keys]\nOPENAI_API_KEY = []\n", ":2: key api_keys.OPENAI_API_KEY", "not be empty"),
    ],
    ids=lambda value: value if value.startswith(":") else None,
)
def test_each_bad_value_is_an_error_naming_file_line_and_key(
    workspace: Path, text: str, where: str, expected: str
) -> None:
    message = config_error(workspace, text)
    assert f"{workspace / '.maos' / 'config.toml'}{where}" in message
    assert expected in message


def test_deeply_nested_arrays_are_an_error_not_a_traceback(workspace: Path) -> None:
    message = config_error(workspace, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert message == f"{workspace / '.maos' / 'config.toml'}: invalid TOML: " + (
        "arrays or tables nested too deeply"
    )


def test_a_key_of_many_parts_is_refused_before_parsing(workspace: Path) -> None:
    # tomllib's time grows with the square of a dotted key's length: 1 MiB of one would hang.
    message = config_error(workspace, "[scheduler]\n" + ".".join(["a"] * 200_000) + " = 1\n")
    assert message.endswith("config.toml:2: keys of more than 8 parts are not supported")


def test_a_file_of_junk_keys_gives_a_short_report(workspace: Path) -> None:
    write_config(workspace, "".join(f"junk{i} = 1\n" for i in range(5000)))
    warnings = load_config(Workspace(workspace)).warnings
    assert len(warnings) == 21
    assert warnings[-1].endswith("config.toml: and 4980 more problem(s) in this file")


def test_all_errors_are_counted_and_the_first_is_named(workspace: Path) -> None:
    message = config_error(workspace, '[scheduler]\nmax_parallel = 0\nstep_limit = "x"\n')
    assert ":2: key scheduler.max_parallel" in message
    assert "(and 1 more; `maos-tui doctor` lists them)" in message


def test_a_misspelt_key_is_a_warning_with_a_suggestion_and_is_ignored(workspace: Path) -> None:
    path = write_config(workspace, "[scheduler]\nmax_parallel = 2\nmax_paralel = 4\n")
    config = load_config(Workspace(workspace))
    assert config.warnings == (
        f"{path}:3: key scheduler.max_paralel: unknown key, ignored; did you mean max_parallel?",
    )
    assert config.scheduler().max_parallel == 2


def test_an_unknown_key_in_an_agent_table_is_a_warning_not_an_error(workspace: Path) -> None:
    write_config(workspace, AGENT + "capabilites = ['x']\n")
    config = load_config(Workspace(workspace))
    assert config.agents == [{"name": "coder", "command": ["tool"]}]
    assert "did you mean capabilities?" in config.warnings[0]


def test_a_byte_order_mark_is_ignored(workspace: Path) -> None:
    write_config(workspace, b"\xef\xbb\xbf[scheduler]\nmax_parallel = 2\n")
    assert load_config(Workspace(workspace)).scheduler().max_parallel == 2


def test_user_and_workspace_files_are_each_checked(workspace: Path, isolated_env: Path) -> None:
    isolated_env.parent.mkdir(parents=True)
    isolated_env.write_text("theme = 3\n[scheduler]\nmax_parallel = 2\n", encoding="utf-8")
    write_config(workspace, "[scheduler]\nstep_limit = 0\n")
    _, problems = inspect_config(Workspace(workspace))
    assert [(p.file, p.line) for p in problems] == [
        (isolated_env, 1),
        (workspace / ".maos" / "config.toml", 2),
    ]


def test_lines_are_found_in_the_usual_layouts() -> None:
    text = (
        'top = 1\nscheduler.max_parallel = 2\n[[agents]]\nname = "a"\n'
        'prompt = """\n[[agents]]\nname = "not a table"\n"""\n'
        '[[agents]]\n"name" = "b"\ninline = { x = 1 }\n[pricing."openai/gpt-4o"]\n'
        "input_cost_per_token = 1\n"
    )
    index = LineIndex(text)
    assert index.line_of(("top",)) == 1
    assert index.line_of(("scheduler", "max_parallel")) == 2
    assert index.line_of(("agents", 0, "name")) == 4
    assert index.line_of(("agents", 1, "name")) == 10
    assert index.line_of(("agents", 1, "inline", "x")) == 11  # the inline table's line
    assert index.line_of(("agents", 1, "missing")) == 9  # its table's header
    assert index.line_of(("pricing", "openai/gpt-4o", "input_cost_per_token")) == 13
    assert index.line_of(("nowhere",)) is None


# ---------------------------------------------------------------- through the real CLI


BAD_TYPE = '[scheduler]\nmax_parallel = "four"\n'


@pytest.mark.parametrize("command", [("status",), ("task", "list"), ("task", "add", "x")])
def test_every_command_refuses_a_bad_config_the_same_way(cli: Cli, command: tuple) -> None:
    cli.ok("init")
    path = write_config(cli.workspace, BAD_TYPE)
    line = cli.error(*command)
    assert line == (
        f"error: {path}:2: key scheduler.max_parallel: must be a whole number, "
        'not the string "four"'
    )


def test_a_warning_is_printed_once_and_the_command_runs(cli: Cli) -> None:
    cli.ok("init")
    path = write_config(cli.workspace, "[scheduler]\nmax_paralel = 4\n")
    result = cli("task", "add", "x")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"warning: {path}:2: key scheduler.max_paralel: unknown key, ignored; "
        "did you mean max_parallel?\n"
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_config_that_is_not_a_regular_file_is_one_error_line(cli: Cli, kind: str) -> None:
    cli.ok("init")
    path = cli.workspace / ".maos" / "config.toml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    expected = "a FIFO" if kind == "fifo" else "a device"
    # The subprocess timeout is the hang guard: reading either would never end.
    line = cli.error("status")
    assert line == f"error: config {path} is {expected}, not a regular file"
    report = cli("doctor", "--offline")
    assert report.returncode == 1 and f"{path} is {expected}" in report.stdout


def test_a_config_over_one_mib_is_refused(cli: Cli) -> None:
    cli.ok("init")
    path = write_config(cli.workspace, "# " + "x" * (1024 * 1024) + "\n")
    assert cli.error("status") == f"error: config {path} is larger than 1 MiB"


def test_doctor_lists_every_config_and_keymap_problem(cli: Cli) -> None:
    cli.ok("init")
    path = write_config(
        cli.workspace,
        '[scheduler]\nmax_parallel = 0\nmax_paralel = 2\n[keymap]\n"task.new" = "q"\n'
        '"task.nwe" = "x"\n' + AGENT + 'shell = "false"\n',
    )
    result = cli("doctor", "--offline")
    assert result.returncode == 1 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert f"error    config     {path}:2: key scheduler.max_parallel: must be at least 1" in (
        "\n".join(lines)
    )
    assert any(f"warning  config     {path}:3: key scheduler.max_paralel" in x for x in lines)
    assert any(f"error    config     {path}:10: [[agents]] #1 key shell" in x for x in lines)
    assert any('keymap: "task.new" = "q" takes q from "app.quit"' in x for x in lines)
    assert any(
        'unknown binding id "task.nwe", ignored; did you mean "task.new"?' in x for x in lines
    )


def test_doctor_checks_the_keymap_without_importing_textual() -> None:
    probe = (
        "import sys, maos_tui.commands.doctor, maos_tui.tui.keymap_check;"
        "print('textual' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------- keymap


def test_a_keymap_that_takes_a_live_key_or_names_no_binding_is_reported() -> None:
    assert keymap_problems({"task.new": "q", "task.nwe": "x"}) == [
        'keymap: unknown binding id "task.nwe", ignored; did you mean "task.new"?',
        'keymap: "task.new" = "q" takes q from "app.quit" (Quit (asks if runs are active)); '
        "only one of them will work",
    ]


def test_a_keymap_that_takes_textuals_own_keys_is_reported() -> None:
    assert keymap_problems({"board.filter": "ctrl+q"}) == [
        'keymap: "board.filter" = "ctrl+q" takes ctrl+q from "textual.quit" '
        "(Quit, Textual's own); only one of them will work"
    ]


def test_a_keymap_without_clashes_is_quiet() -> None:
    # Swapping two keys, reusing a key on another screen, and restating a default are fine.
    assert keymap_problems({"task.new": "e", "task.edit": "n"}) == []
    assert keymap_problems({"agents.add": "ctrl+o", "task.new": "ctrl+o"}) == []
    assert keymap_problems({"app.help": "question_mark"}) == []
    # Every binding restated with its own keys: the shipped table has no clash.
    assert keymap_problems({spec.id: spec.keys for spec in KEYS}) == []


def test_a_theme_file_that_is_a_fifo_is_reported_not_waited_on(isolated_env: Path) -> None:
    from maos_tui.tui.themes import load_themes

    themes = isolated_env.parent / "themes"
    themes.mkdir(parents=True)
    os.mkfifo(themes / "stuck.toml")
    catalog = load_themes(themes)
    assert catalog.themes == []
    assert catalog.problems == [
        f"theme stuck.toml: cannot read it ({themes / 'stuck.toml'} is a FIFO, not a regular "
        "file); using maos-dark instead"
    ]


def test_a_key_outside_its_table_is_pointed_to_it(workspace: Path) -> None:
    path = write_config(workspace, "max_parallel = 3\n[scheduler]\n")
    assert load_config(Workspace(workspace)).warnings == (
        f"{path}:1: key max_parallel: unknown key, ignored; did you mean [scheduler] max_parallel?",
    )
