"""`maos-tui search TEXT`: tasks, messages and documents, best match first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import arg_type
from maos_tui.domain import validate_positive

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def limit(text: str) -> int:
    return validate_positive("--limit", int(text))


LIMIT = arg_type(limit)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    search = sub.add_parser("search", help="search tasks, messages and documents", parents=[common])
    search.set_defaults(handler=run_search)
    search.add_argument("text", nargs="+", help="every word must match (as a prefix)")
    search.add_argument("--limit", type=LIMIT, default=20, metavar="N")
    search.add_argument("--json", action="store_true")


async def run_search(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        hits = await store.search.search(" ".join(args.text), limit=args.limit)
    if ctx.json:
        ctx.emit([hit.to_json() for hit in hits])
        return 0
    for hit in hits:
        where = "" if hit.ref == hit.task_id else f"{hit.task_id} "
        ref = f"#{hit.ref}" if hit.kind == "message" else hit.ref
        ctx.out(f"{ref:<9} {hit.kind:<8} {where}{hit.title}")
        ctx.out(f"          {' '.join(hit.snippet.split())}")
    return 0
