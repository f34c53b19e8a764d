"""`maos-tui working ...`, and the hook that rewrites WORKING.md after every CLI change."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from maos_tui.commands.context import command_group
from maos_tui.printable import printable

if TYPE_CHECKING:
    from maos_tui.commands.context import Context
    from maos_tui.store import Store
    from maos_tui.working_md.parse import Problem
    from maos_tui.working_md.sync import WorkingSync


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "working", "render, sync, check and restore WORKING.md")

    action("render", "print what WORKING.md should be now", working_render)
    sync = action("sync", "apply WORKING.md's hand edits once, then rewrite it", working_sync)
    sync.add_argument(
        "--accept",
        action="store_true",
        help="apply a save that was held (one that would archive several tasks, or came "
        "from an older copy of the file)",
    )
    check = action("check", "list lines that cannot be applied (exit 1 if any)", working_check)
    check.add_argument("--json", action="store_true")
    history = action("history", "list the kept revisions of WORKING.md", working_history)
    history.add_argument("--json", action="store_true")
    restore = action("restore", "put a revision back as a hand edit", working_restore)
    restore.add_argument("rev", type=_revision, metavar="REV")


def _revision(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"revision must be a number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"revision must be at least 1, not {value}")
    return value


def _sync(ctx: Context, store: Store) -> WorkingSync:
    from maos_tui.working_md.sync import WorkingSync

    return WorkingSync(store, ctx.workspace)


def _warn(ctx: Context, problems: list[Problem]) -> None:
    for problem in problems:
        ctx.warn(problem.headline())


async def working_render(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        text = await _sync(ctx, store).render_text()
    sys.stdout.write(printable(text, keep_newlines=True))
    return 0


async def working_sync(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.domain import DomainError
    from maos_tui.working_md.holds import is_held

    async with ctx.store() as store:
        problems = await _sync(ctx, store).sync_once(accept=args.accept)
    held = [p for p in problems if is_held(p)]
    _warn(ctx, [p for p in problems if not is_held(p)])
    if held:
        raise DomainError(held[0].headline())
    ctx.out(f"{ctx.workspace.working_md} is in sync")
    return 0


async def working_check(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.domain import DomainError

    async with ctx.store() as store:
        problems = await _sync(ctx, store).check()
    if ctx.json:
        ctx.emit([{"line": p.line, "reason": p.reason, "text": p.text} for p in problems])
    else:
        for problem in problems:
            ctx.out(str(problem))
    if problems:
        count = f"{len(problems)} problem line{'s' if len(problems) > 1 else ''}"
        raise DomainError(f"{count} in {ctx.workspace.working_md}")
    return 0


async def working_history(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.working_md.history import History

    revisions = History(ctx.workspace.history_dir).list()
    if ctx.json:
        ctx.emit([r.to_json() for r in revisions])
        return 0
    for revision in revisions:
        info = revision.to_json()
        ctx.out(f"{revision.rev:>6}  {info['time']}  {revision.kind:<7}  {info['bytes']} bytes")
    return 0


async def working_restore(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        sync = _sync(ctx, store)
        revision = await sync.restore(args.rev)
    _warn(ctx, sync.problems)
    ctx.out(f"revision {revision.rev} restored into {ctx.workspace.working_md}")
    return 0


async def rewrite_after_command(ctx: Context, store: Store) -> None:
    """Every CLI change leaves WORKING.md current (hand edits made meanwhile are applied
    first), unless an open TUI or `run` does it: that one follows our commit within a
    fraction of a second. A failure here must not turn the committed change into an error."""
    await _rewrite(ctx, lambda give_up: _sync(ctx, store).sync_once(give_up=give_up))


async def rewrite_after_stdlib_write(ctx: Context) -> None:
    """`rewrite_after_command` for a change written without the store (store/stdlib/lite_add.py):
    without it too while the file holds no hand edit; else the store applies them."""
    from maos_tui.domain import DomainError
    from maos_tui.store.errors import NeedsStore, StoreError
    from maos_tui.working_md.lite import rewrite_without_store

    try:
        await _rewrite(
            ctx, lambda give_up: rewrite_without_store(ctx.workspace, ctx.db_url, give_up)
        )
    except NeedsStore:
        try:
            async with ctx.store(writes=True):
                pass  # opening it with writes=True rewrites the file, applying the edits
        except (OSError, StoreError, DomainError) as exc:
            _not_updated(ctx, exc)


async def _rewrite(
    ctx: Context,
    sync_once: Callable[[Callable[[], bool]], Awaitable[list[Problem]]],
) -> None:
    from maos_tui.domain import DomainError
    from maos_tui.store.errors import StoreError
    from maos_tui.working_md.owners import sync_running

    def sync_elsewhere() -> bool:
        return sync_running(ctx.workspace.maos_dir, ctx.db_url)

    if sync_elsewhere():
        return
    try:
        problems = await sync_once(sync_elsewhere)
    except (OSError, StoreError, DomainError) as exc:
        _not_updated(ctx, exc)
        return
    _warn(ctx, problems)


def _not_updated(ctx: Context, exc: Exception) -> None:
    ctx.warn(f"WORKING.md was not updated: {exc}")
