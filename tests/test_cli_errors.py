"""What a typo or hostile input gets from the CLI: one `error:` line, and nothing created.

Database URLs that cannot be used, paths that do not exist, a reader that closes the pipe,
bytes that are not UTF-8 and integers SQLite cannot hold. Each through the real program.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from maos_tui.store import Store
from maos_tui.store.urls import DRIVER_EXTRAS, install_hint, masked, url_error
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "hunter2"
HUGE = "99999999999999999999999"
NOT_UTF8 = os.fsdecode(b"\xff\xfe")  # what Python makes of those bytes in argv
# The TUI, headless, ending once the board has painted.
PAINT_ONLY = {
    "MAOS_BENCH_EXIT_AFTER_PAINT": "1",
    "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
}


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_error_line(done: subprocess.CompletedProcess[bytes]) -> str:
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode not in (0, None), stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


# ------------------------------------------------------------------ database URLs

BAD_URLS = [
    ("bogus://x", "unknown database driver 'bogus'"),
    ("sqlite:///x.db", "use sqlite+aiosqlite:///x.db"),
    (f"postgresql+pg8000://me:{PASSWORD}@localhost/x", "database driver pg8000 is not installed"),
    ("nonsense", "invalid database URL 'nonsense'"),
    # Connecting fails (nothing listens on port 1): the URL in the message is masked too.
    (f"postgresql+asyncpg://me:{PASSWORD}@127.0.0.1:1/x", "postgresql+asyncpg://me:***@127.0.0.1:1/x"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "message"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_an_unusable_database_url_is_one_line_and_creates_nothing(
    cli: Cli, workspace: Path, url: str, message: str
) -> None:
    line = cli.error("--db", url, "status")
    assert message in line
    assert PASSWORD not in line
    assert tree(workspace) == []  # not even the sqlite:///x.db the sync driver would open


def test_a_missing_driver_names_the_extra_to_install(cli: Cli, workspace: Path) -> None:
    # asyncpg is installed here: this interpreter is made to fail importing it, as one
    # without it would.
    without_asyncpg = "import sys; sys.modules['asyncpg'] = None; from maos_tui.cli import main; raise SystemExit(main())"
    url = f"postgresql+asyncpg://me:{PASSWORD}@localhost/x"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            without_asyncpg,
            "--workspace",
            str(workspace),
            "--db",
            url,
            "status",
        ],
        capture_output=True,
        env=cli.env(),
        timeout=120,
    )
    line = one_error_line(done)
    assert "the database driver asyncpg is not installed" in line
    assert "pip install 'maos-tui[postgres]'" in line
    assert "postgresql+asyncpg://me:***@localhost/x" in line and PASSWORD not in line


def test_each_driver_extra_is_declared_in_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for module, extra in DRIVER_EXTRAS.items():
        assert any(req.startswith(module) for req in extras[extra]), (module, extras.get(extra))
    assert install_hint("asyncpg") == "pip install 'maos-tui[postgres]'"
    line = str(url_error("postgresql+asyncpg://h/x", ModuleNotFoundError(name="asyncpg")))
    assert line.endswith("(pip install 'maos-tui[postgres]')")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+asyncpg://me:{PASSWORD}@db/x", "postgresql+asyncpg://me:***@db/x"),
        (f"postgresql+asyncpg://me@db/x?password={PASSWORD}", "postgresql+asyncpg://me@db/x?password=***"),
        (f"weird url://me:{PASSWORD}@db", "weird url://me:***@db"),
    ],
)  # fmt: skip
def test_urls_are_shown_with_the_password_masked(url: str, shown: str) -> None:
    assert masked(url) == shown


# ------------------------------------------------------------------ missing paths


def test_a_mistyped_workspace_is_refused_and_not_created(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    line = cli.error("--workspace", str(missing), "status")  # the last --workspace counts
    assert f"workspace folder {missing} does not exist" in line
    assert not (tmp_path / "nonexistent").exists()


def test_a_database_in_a_missing_folder_is_refused_and_not_created(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("init")
    db = tmp_path / "missing" / "folder" / "x.db"
    for args in (("status",), ("task", "add", "x"), ("task", "list")):
        line = cli.error("--db", f"sqlite+aiosqlite:///{db}", *args)
        assert f"database {db} does not exist, nor does its folder" in line, args
    assert not (tmp_path / "missing").exists()


def test_a_missing_database_file_is_not_created_by_task_adds_fallback(
    cli: Cli, workspace: Path
) -> None:
    cli.ok("init")
    db = workspace / "other.db"
    # One plain add (the stdlib path, which leaves a missing file to the store), one with
    # a mention (the store's path from the start).
    for extra in ((), ("--description", "@human look")):
        line = cli.error("--db", f"sqlite+aiosqlite:///{db}", "task", "add", "x", *extra)
        assert f"database {db} does not exist" in line
    assert not db.exists()


COMMANDS_ON_NOTHING = [
    ("status",), ("task", "list"), ("task", "add", "x"), ("task", "show", "1"),
    ("agent", "list"), ("agent", "add", "coder", "--command", "echo hi"), ("msg", "list", "1"),
    ("search", "x"), ("doc", "list"), ("notify", "list"), ("working", "sync"),
    ("run", "--until-idle"),
]  # fmt: skip


@pytest.mark.sqlite_only
def test_no_command_but_init_creates_a_workspace(cli: Cli, workspace: Path) -> None:
    for args in COMMANDS_ON_NOTHING:
        line = cli.error(*args)
        assert "is not a maos-tui workspace" in line and "maos-tui init" in line, args
        assert tree(workspace) == [], args
    cli.ok("init")
    assert (workspace / ".maos" / "state.db").is_file()
    assert cli.ok("task", "add", "x").strip() == "TASK-001"


@pytest.mark.sqlite_only
def test_the_tuis_first_run_creates_the_workspace_but_not_a_mistyped_one(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "typo"
    assert "does not exist" in Cli(missing).error(**PAINT_ONLY)
    assert not missing.exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = subprocess.run(
        Cli(elsewhere).argv(),
        capture_output=True,
        text=True,
        timeout=60,
        env=Cli(elsewhere).env(**PAINT_ONLY),
        cwd=workspace,
    )
    assert other.returncode == 1 and "not a maos-tui workspace" in other.stderr, other.stderr
    assert not (elsewhere / ".maos").exists()
    first = cli(**PAINT_ONLY)
    assert first.returncode == 0, first.stderr
    assert (workspace / ".maos" / "state.db").is_file()


# ------------------------------------------------------------------ a closed pipe


def run_into_closed_pipe(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """`maos-tui ARGS` writing to a pipe whose reader has already gone, as `| head -1`
    leaves it after its line."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            cli.argv(*args),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=cli.env(),
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [("task", "list"), ("task", "list", "--json"), ("search", "report"), ("status",),
     ("task", "show", "TASK-001")],
)  # fmt: skip
def test_a_closed_stdout_ends_a_command_quietly(cli: Cli, args: tuple[str, ...]) -> None:
    cli.ok("init")
    cli.ok("task", "add", "write the report")
    done = run_into_closed_pipe(cli, *args)
    assert done.stderr == ""  # no `error:` line, no traceback, no "Exception ignored"
    assert done.returncode == 141  # as a tool SIGPIPE ended


def test_a_closed_stdout_after_a_write_keeps_the_write(cli: Cli) -> None:
    cli.ok("init")
    done = run_into_closed_pipe(cli, "task", "add", "kept")
    assert (done.returncode, done.stderr) == (141, "")
    assert "kept" in cli.ok("task", "show", "TASK-001")


async def test_head_one_of_a_long_list(cli: Cli, store: Store) -> None:
    # More output than a pipe holds, so that writes fail once `head` has gone.
    for n in range(400):
        await store.tasks.create(f"{n:03d} {'x' * 180}")
    pipeline = f"set -o pipefail; {shlex.join(cli.argv('task', 'list'))} | head -1"
    done = subprocess.run(
        ["bash", "-c", pipeline], capture_output=True, text=True, env=cli.env(), timeout=120
    )
    assert done.stdout.startswith("TASK-001 ")
    assert done.stderr == ""
    assert done.returncode in (0, 141)


async def test_run_stops_quietly_once_its_reader_is_gone(cli: Cli, store: Store) -> None:
    # Enough activity lines (--json) to fill the output buffer while the run goes on.
    await store.agents.add("worker", command=["true"], max_concurrent=4)
    for n in range(40):
        await store.tasks.create(f"job {n}", assignees=["worker"])
    done = run_into_closed_pipe(cli, "run", "--until-idle", "--json", "--max-seconds", "120")
    assert done.stderr == ""  # no logged BrokenPipeError per activity
    assert done.returncode in (0, 141)  # 0 when nothing was left to write at exit


# ------------------------------------------------------------------ hostile arguments

NOT_UTF8_ARGS = [
    ("task", "add", NOT_UTF8), ("task", "add", "x", "--description", NOT_UTF8),
    ("agent", "show", NOT_UTF8), ("msg", "post", "1", NOT_UTF8), ("task", "list", "--assignee", NOT_UTF8),
    ("search", NOT_UTF8), ("doc", "add", "1", "--title", NOT_UTF8, "--file", "-"),
]  # fmt: skip


def test_arguments_that_are_not_utf8_are_one_line(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    for args in NOT_UTF8_ARGS:
        assert r"(\xff\xfe) is not valid UTF-8" in cli.error(*args), args
    assert [line.split()[0] for line in cli.ok("task", "list").splitlines()] == ["TASK-001"]


@pytest.mark.parametrize(
    "args", [("msg", "post", "TASK-001", "-"), ("doc", "add", "TASK-001", "--title", "t", "--file", "-")]
)  # fmt: skip
def test_stdin_that_is_not_utf8_is_one_line(cli: Cli, args: tuple[str, ...]) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    done = subprocess.run(
        cli.argv(*args), input=b"ok \xff\xfe", capture_output=True, env=cli.env(), timeout=120
    )
    assert "stdin is not UTF-8 text" in one_error_line(done)


HUGE_NUMBERS = [
    ("search", "x", "--limit", HUGE), ("doc", "show", HUGE), ("doc", "show", f"DOC-{HUGE}"),
    ("doc", "show", "1", "--version", HUGE), ("doc", "diff", "1", HUGE), ("notify", "read", HUGE),
    ("msg", "post", "1", "hi", "--reply-to", HUGE), ("msg", "post", "1", "hi", "--reply-to", f"-{HUGE}"),
    ("agent", "add", "a", "--command", "x", "--max-concurrent", HUGE),
]  # fmt: skip


def test_integers_beyond_64_bits_are_one_line(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    for args in HUGE_NUMBERS:
        assert "is out of range" in cli.error(*args), args
    # A task ID that big names no task: the usual answer, in one line.
    assert f"unknown task TASK-{HUGE}" in cli.error("task", "show", HUGE)
