"""The `maos-tui` entry point: the TUI with no subcommand, headless subcommands otherwise.

Errors the user can fix are one line, `error: <what and why>`, and a non-zero exit;
never a traceback. Command modules are imported eagerly (argparse needs them) so they
must stay light: the store, Textual and litellm are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from maos_tui import __version__
from maos_tui.commands import (
    agents,
    doctor,
    documents,
    messages,
    notifications,
    run,
    search,
    tasks,
    working,
    workspace,
)
from maos_tui.commands.context import Context
from maos_tui.config import ConfigError
from maos_tui.domain import DomainError

COMMAND_MODULES = [
    workspace,
    tasks,
    agents,
    run,
    working,
    doctor,
    messages,
    notifications,
    documents,
    search,
]
EXIT_ERROR = 1
EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
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


def build_parser() -> Parser:
    common = common_options()
    parser = Parser(
        prog="maos-tui",
        description="Local-first multi-agent orchestration in the terminal.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"maos-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context(args)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from maos_tui.tui.launch import launch

            return launch(ctx)
        return int(asyncio.run(handler(ctx, args)) or 0)
    except (DomainError, ConfigError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from maos_tui.store import StoreError

        if isinstance(exc, StoreError | OSError):
            return fail(str(exc))
        raise


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
