"""`maos-tui msg ...`: a task's thread from the terminal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.collab import MessageRecord, parse_message_type
from maos_tui.commands.context import arg_type, command_group, read_stdin
from maos_tui.domain import HUMAN, parse_task_id

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

TASK_ID = arg_type(parse_task_id)
MESSAGE_TYPE = arg_type(parse_message_type)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "msg", "post to and read task threads")
    post = action("post", "post a message to a task's thread", msg_post)
    post.add_argument("id", type=TASK_ID)
    post.add_argument("text", help="markdown; `-` reads it from stdin")
    post.add_argument("--type", type=MESSAGE_TYPE, default="comment", metavar="TYPE")
    post.add_argument("--reply-to", type=int, metavar="MSG")
    post.add_argument(
        "--as",
        dest="author",
        default=HUMAN,
        metavar="AGENT",
        help='post as a registered agent (command agents: --as "$MAOS_AGENT")',
    )
    post.add_argument("--json", action="store_true")

    lst = action("list", "show a task's thread", msg_list)
    lst.add_argument("id", type=TASK_ID)
    lst.add_argument("--json", action="store_true")


def describe(message: MessageRecord) -> str:
    """A header line (`#id author type time`) followed by the text, indented."""
    kind = "" if message.type.value == "comment" else f" [{message.type.value}]"
    reply = f" ↳ #{message.reply_to}" if message.reply_to is not None else ""
    head = f"#{message.id} {message.author}{kind}{reply}  {message.created_at:%Y-%m-%d %H:%M}"
    body = "\n".join(f"    {line}" for line in message.text.splitlines())
    return f"{head}\n{body}"


async def msg_post(ctx: Context, args: argparse.Namespace) -> int:
    text = read_stdin() if args.text == "-" else args.text
    async with ctx.store(writes=True) as store:
        message = await store.messages.post(args.id, args.author, text, args.type, args.reply_to)
    for warning in message.mentions.warnings:
        ctx.warn(warning)
    if ctx.json:
        ctx.emit({**message.to_json(), "warnings": message.mentions.warnings})
    else:
        ctx.out(f"posted #{message.id} to {message.task_id}")
    return 0


async def msg_list(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        thread = await store.messages.list(args.id)
    ctx.emit_all(thread, describe)
    return 0
