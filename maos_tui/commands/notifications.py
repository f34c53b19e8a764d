"""`maos-tui notify ...`: the person's notifications (mentions of @human or the user name)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import command_group
from maos_tui.domain import HUMAN

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "notify", "list and read your notifications")
    lst = action("list", "newest first", notify_list)
    lst.add_argument("--unread", action="store_true", help="only unread ones")
    lst.add_argument("--json", action="store_true")

    read = action("read", "mark notifications read", notify_read)
    which = read.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")
    which.add_argument("--all", action="store_true", help="every unread notification")


async def notify_list(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        found = await store.notifications.list(HUMAN, unread=args.unread)
    if ctx.json:
        ctx.emit([n.to_json() for n in found])
        return 0
    for note in found:
        mark = "*" if note.unread else " "
        ctx.out(f"{mark} {note.id:>4}  {note.created_at:%Y-%m-%d %H:%M}  {note.text}")
    return 0


async def notify_read(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        marked = await store.notifications.mark_read(None if args.all else args.ids, HUMAN)
    ctx.out(f"marked {len(marked)} read")
    return 0
