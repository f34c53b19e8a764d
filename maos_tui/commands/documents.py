"""`maos-tui doc ...`: versioned documents attached to tasks.

Titles are only text. The one place a document touches the file system is `export`, and
it writes exactly the path it is given: never a name made from the title, never over an
existing file unless `--force`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from maos_tui.collab import (
    DOCUMENT_MAX_BYTES,
    DocumentRecord,
    check_document_size,
    decode_document,
    parse_doc_id,
    parse_document_type,
)
from maos_tui.commands.context import arg_type, command_group, read_stdin
from maos_tui.domain import HUMAN, DomainError, parse_task_id

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

TASK_ID = arg_type(parse_task_id)
DOC_ID = arg_type(parse_doc_id)
DOC_TYPE = arg_type(parse_document_type)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "doc", "add, list, show and export documents")

    add = action("add", "add a document (or a new version of the same title)", doc_add)
    add.add_argument("id", type=TASK_ID)
    add.add_argument("--title", required=True)
    add.add_argument("--file", required=True, metavar="F", help="UTF-8 text; `-` for stdin")
    add.add_argument("--type", type=DOC_TYPE, default="deliverable", metavar="TYPE")
    add.add_argument("--json", action="store_true")

    lst = action("list", "list documents at their latest version", doc_list)
    lst.add_argument("--task", type=TASK_ID, metavar="ID")
    lst.add_argument("--json", action="store_true")

    show = action("show", "print a document (the latest version by default)", doc_show)
    show.add_argument("doc", type=DOC_ID, metavar="DOC")
    show.add_argument("--version", type=int, metavar="N")
    show.add_argument("--json", action="store_true")

    diff = action("diff", "show what changed between two versions", doc_diff)
    diff.add_argument("doc", type=DOC_ID, metavar="DOC")
    diff.add_argument("old", type=int, metavar="A")
    diff.add_argument("new", type=int, nargs="?", metavar="B", help="default: the latest")

    export = action("export", "write a document's content to PATH", doc_export)
    export.add_argument("doc", type=DOC_ID, metavar="DOC")
    export.add_argument("path", type=Path, metavar="PATH")
    export.add_argument("--version", type=int, metavar="N")
    export.add_argument("--force", action="store_true", help="replace PATH if it exists")


def describe(doc: DocumentRecord) -> str:
    return (
        f"{doc.ref:<7} {doc.task_id:<9} {doc.doc_type.value:<11} v{doc.latest:<3} "
        f"{doc.updated_at:%Y-%m-%d %H:%M}  {doc.title}"
    )


def read_source(name: str) -> str:
    """The file's text, refusing big or non-UTF-8 files before the store is opened."""
    if name == "-":
        return read_stdin()
    path = Path(name)
    try:
        if path.is_dir():
            raise DomainError(f"{name} is a folder, not a file")
        with path.open("rb") as handle:
            # Read one byte past the limit: enough to know it is too big, never the whole file.
            data = handle.read(DOCUMENT_MAX_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise DomainError(f"cannot read {name}: {exc.strerror or exc}") from None
    check_document_size(size, name)
    return decode_document(data, name)


async def doc_add(ctx: Context, args: argparse.Namespace) -> int:
    content = read_source(args.file)
    async with ctx.store(writes=True) as store:
        doc = await store.documents.write(args.id, args.title, content, HUMAN, args.type)
    if ctx.json:
        ctx.emit(doc.to_json())
    else:
        ctx.out(f"{doc.ref} v{doc.version}  {doc.title}")
    return 0


async def doc_list(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        docs = await store.documents.list(args.task)
    ctx.emit_all(docs, describe)
    return 0


async def doc_show(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        doc = await store.documents.get(args.doc, args.version)
        versions = await store.documents.versions(args.doc)
    if ctx.json:
        ctx.emit({**doc.to_json(), "versions": [v.to_json() for v in versions]})
        return 0
    ctx.out(f"{doc.ref}  {doc.title}  ({doc.doc_type.value}, {doc.task_id})")
    ctx.out(f"version {doc.version} of {doc.latest}, by {doc.author}")
    ctx.out()
    ctx.out(doc.content or "")
    return 0


async def doc_diff(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store() as store:
        diff = await store.documents.diff(args.doc, args.old, args.new)
    ctx.out(diff.rstrip("\n") if diff else "no differences")
    return 0


async def doc_export(ctx: Context, args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.is_dir():
        raise DomainError(f"{path} is a folder; give the file name to write")
    async with ctx.store() as store:
        doc = await store.documents.get(args.doc, args.version)
    mode = "w" if args.force else "x"
    try:
        with path.open(mode, encoding="utf-8", newline="") as handle:
            handle.write(doc.content or "")
    except FileExistsError:
        raise DomainError(f"{path} exists; use --force to replace it") from None
    except OSError as exc:
        raise DomainError(f"cannot write {path}: {exc.strerror or exc}") from None
    ctx.out(f"wrote {doc.ref} v{doc.version} to {path}")
    return 0
