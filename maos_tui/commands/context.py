"""What every command needs: the workspace, the merged config and an open store.

Kept free of heavy imports: the store (SQLAlchemy) is imported only when a command opens it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from maos_tui.commands import startup_gc
from maos_tui.config import Config, Workspace, load_config, resolve_workspace
from maos_tui.printable import printable

if TYPE_CHECKING:
    from maos_tui.store import Store
    from maos_tui.store.stdlib.reads import StdlibStore


@dataclass
class Context:
    args: argparse.Namespace
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # A one-shot command reads and writes without SQLAlchemy where it can (store/stdlib/);
    # a served one goes through the serving process's store, whose bus its board and
    # WORKING.md follow.
    stdlib_allowed = True

    @property
    def stdlib(self) -> bool:
        """Whether to try the stdlib path first; MAOS_STDLIB=0 sends every command
        through the store (the differential tests compare the two)."""
        return self.stdlib_allowed and self.env.get("MAOS_STDLIB") != "0"

    @cached_property
    def workspace(self) -> Workspace:
        return resolve_workspace(getattr(self.args, "workspace", None), self.env)

    @cached_property
    def config(self) -> Config:
        return load_config(self.workspace, self.env)

    @property
    def db_url(self) -> str:
        return (
            getattr(self.args, "db", None)
            or self.env.get("MAOS_DB_URL")
            or self.workspace.default_db_url()
        )

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def uses_default_db(self) -> bool:
        return self.db_url == self.workspace.default_db_url()

    async def open_store(self, *, create: bool = False) -> Store:
        """Open (migrating if needed) and mirror config-declared agents. Only `create` (init,
        the TUI's first run) makes a new database: after a typo in a path, every other
        command says so and creates nothing."""
        from maos_tui.store import Store

        self.refuse_missing_workspace(create=create)
        if create and self.uses_default_db:
            self.workspace.ensure_dirs()
        store = await Store.open(self.db_url, create=create)
        store.notifications.set_user_name(self.config.user_name)
        try:
            agents = self.config.agents
            if agents:
                await store.agents.sync_config(agents)
        except BaseException:
            await store.close()
            raise
        startup_gc.resume()
        return store

    def refuse_missing_workspace(self, *, create: bool) -> None:
        """A missing workspace folder is never created but by `init`; a missing default
        database only where `create` allows (Store.open checks any other database file)."""
        from maos_tui.domain import DomainError

        root = self.workspace.root
        if not root.is_dir():
            raise DomainError(
                f"workspace folder {root} does not exist: check the path "
                f"(`maos-tui init {root}` creates a workspace there)"
            )
        if not create and self.uses_default_db and not self.workspace.db_path.exists():
            raise DomainError(
                f"{root} is not a maos-tui workspace (no .maos/state.db): "
                "run `maos-tui init` there first, or pass --workspace"
            )

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Store | StdlibStore]:
        """For a command that only reads: one snapshot on the stdlib
        (store/stdlib/reads.py) when it answers exactly as the store would, else the store."""
        if self.stdlib:
            from maos_tui.store.stdlib.reads import StdlibStore

            snapshot = StdlibStore.open(self.db_url, self.config.agents)
            if snapshot is not None:
                try:
                    yield snapshot
                finally:
                    snapshot.close()
                return
        async with self.store() as store:
            yield store

    @asynccontextmanager
    async def store(self, *, writes: bool = False, create: bool = False) -> AsyncIterator[Store]:
        store = await self.open_store(create=create)
        try:
            yield store
            if writes:
                from maos_tui.commands.working import rewrite_after_command

                await rewrite_after_command(self, store)
        finally:
            await store.close()

    def emit(self, payload: Any) -> None:
        """JSON output: the exact text (JSON escapes C0 controls itself)."""
        self.write_line(json.dumps(payload, ensure_ascii=False, indent=None))

    def emit_all(self, records: Sequence[Any], describe: Callable[[Any], str]) -> None:
        """A list command's output: a JSON array with --json, else one line per record."""
        if self.json:
            self.emit([record.to_json() for record in records])
            return
        for record in records:
            self.out(describe(record))

    def out(self, text: str = "") -> None:
        """Human-readable output: text from tasks, messages, agents and files may hold
        escape sequences (OSC 52 writes the clipboard), so control characters other than
        newline and tab are shown escaped (`\\x1b`)."""
        self.write_line(printable(text, keep_newlines=True))

    def write_line(self, line: str) -> None:
        print(line)

    def warn(self, line: str) -> None:
        print(f"warning: {printable(line, keep_newlines=True)}", file=sys.stderr)


Action = Callable[[str, str, Callable[..., Awaitable[int]]], argparse.ArgumentParser]


def command_group(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str, help_text: str
) -> Action:
    """Add `maos-tui NAME ACTION ...`; returns `action(name, help, handler) -> parser`."""
    group = sub.add_parser(name, help=help_text, parents=[common])
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(
        action_name: str, action_help: str, handler: Callable[..., Awaitable[int]]
    ) -> argparse.ArgumentParser:
        parser = actions.add_parser(action_name, help=action_help, parents=[common])
        parser.set_defaults(handler=handler)
        return parser

    return action


def read_stdin() -> str:
    """Standard input as UTF-8 text, bounded like a document: bytes that are not UTF-8
    are the user's mistake, reported in one line."""
    from maos_tui.collab import DOCUMENT_MAX_BYTES, decode_document

    return decode_document(sys.stdin.buffer.read(DOCUMENT_MAX_BYTES + 1), "stdin")


# SQLite's integer range: a bigger number would overflow in the driver, not say what is wrong.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def arg_type(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """Let argparse show the domain's own message instead of `invalid value`, and refuse
    integers out of SQLite's range."""
    from maos_tui.domain import DomainError

    def wrapped(text: str) -> Any:
        try:
            value = convert(text)
        except DomainError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            bound = f"at most {INT_MAX}" if value > 0 else f"at least {INT_MIN}"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({bound})")
        return value

    wrapped.__name__ = convert.__name__
    return wrapped


# The parser's `int` (cli.Parser registers it for every `type=int`).
INT = arg_type(int)
