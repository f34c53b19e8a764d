"""The `maos-tui` entry point: the TUI with no subcommand, headless subcommands otherwise.

Errors the user can fix are one line, `error: <what and why>`, and a non-zero exit;
never a traceback. Only the module of the command being run is imported and registered
(building every subparser costs more than a whole `task add` against the store), and the
modules stay light: the store, Textual and litellm are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NoReturn

from maos_tui import __version__
from maos_tui.commands import startup_gc
from maos_tui.commands.context import INT, Context
from maos_tui.commands.remote import SERVED_COMMANDS, run_served
from maos_tui.config import ConfigError
from maos_tui.domain import DomainError

# Each top-level command and the module under maos_tui.commands that registers it, in the
# order `--help` lists them (a test checks this against what the modules register).
COMMANDS = {
    "init": "workspace",
    "status": "workspace",
    "task": "tasks",
    "agent": "agents",
    "run": "run",
    "working": "working",
    "doctor": "doctor",
    "msg": "messages",
    "notify": "notifications",
    "doc": "documents",
    "search": "search",
    "forecast": "forecast",
    "insights": "insights",
    "alerts": "alerts",
    "worktree": "worktrees",
    "serve": "serve",
    "mcp": "mcp",
}
# Options of the top-level parser that take a value (skipped when looking for the command).
_VALUE_OPTIONS = frozenset({"--workspace", "--db"})
EXIT_ERROR = 1
EXIT_USAGE = 2
# What a shell reports for a tool that SIGPIPE ended (`set -o pipefail` sees it).
EXIT_STDOUT_CLOSED = 128 + signal.SIGPIPE


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every command's `type=int` argument gets SQLite's integer range checked here, at
        # parse time, instead of overflowing in the driver.
        self.register("type", int, INT)

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace", metavar="DIR", default=argparse.SUPPRESS, help="workspace folder"
    )
    common.add_argument(
        "--db", metavar="URL", default=argparse.SUPPRESS, help="SQLAlchemy async database URL"
    )
    return common


def command_modules(argv: Sequence[str] | None = None) -> list[ModuleType]:
    """The module of the command in `argv`; none for the TUI (it starts faster); all of
    them for `--help` and for a name that is not a command (the error lists them)."""
    args = sys.argv[1:] if argv is None else argv
    name = command_name(args)
    if name in COMMANDS:
        wanted = [COMMANDS[name]]
    elif name is None and not {"-h", "--help"} & set(args):
        wanted = []
    else:
        wanted = list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(f"maos_tui.commands.{module}") for module in wanted]


def command_name(argv: Sequence[str]) -> str | None:
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUE_OPTIONS:
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    common = common_options()
    parser = Parser(
        prog="maos-tui",
        description="Local-first multi-agent orchestration in the terminal.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"maos-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in command_modules(argv):
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    startup_gc.pause()
    try:
        code = _run(sys.argv[1:] if argv is None else list(argv))
        # Output still buffered goes now, where a reader that went away is caught.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return stdout_closed()
    finally:
        startup_gc.resume()


def _run(argv: list[str]) -> int:
    for position, arg in enumerate(argv, 1):
        if not is_utf8(arg):
            shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
            return fail(f"argument {position} ({shown}) is not valid UTF-8")
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    ctx = Context(args)
    handler = getattr(args, "handler", None)
    try:
        if args.command != "doctor":  # doctor reports a broken config instead of stopping
            for warning in ctx.config.warnings:
                ctx.warn(warning)
        if handler is None:
            from maos_tui.tui.launch import launch

            return launch(ctx)
        if args.command in SERVED_COMMANDS:
            served = run_served(ctx, argv)
            if served is not None:
                return served
        import asyncio

        return int(asyncio.run(handler(ctx, args)) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return stdout_closed()
    except Exception as exc:
        message = user_error(exc)
        if message is None:
            raise
        return fail(message)


def is_utf8(arg: str) -> bool:
    """Python keeps bytes that are not UTF-8 in argv as lone surrogates, which no store,
    file or terminal can take."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def stdout_closed() -> int:
    """The reader of our output went away (`| head -1`): end quietly, as other tools do.
    Output still buffered then goes nowhere, instead of failing again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_STDOUT_CLOSED


def user_error(exc: BaseException) -> str | None:
    """The one line to show for an error the user can act on; None for a bug."""
    if isinstance(exc, DomainError | ConfigError | OSError):
        return str(exc)
    if "maos_tui.store" in sys.modules:  # a StoreError needs the store to have been opened
        from maos_tui.store import StoreError

        if isinstance(exc, StoreError):
            return str(exc)
    return None


def fail(message: str) -> int:
    from maos_tui.printable import printable

    # Messages quote what the user typed or stored (an agent name, a title): never raw.
    print(f"error: {printable(message)}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
