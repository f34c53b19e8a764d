"""`maos-tui alerts test`: a test alert through every channel `[alerts]` turns on, one
line per channel saying whether it worked; exit status 1 if any failed."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.commands.context import command_group

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "alerts", '"needs you" alerts ([alerts] in config)')
    test = action("test", "send a test alert through every configured channel", alerts_test)
    test.add_argument("--json", action="store_true")


async def alerts_test(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.alerts.channels import Skipped
    from maos_tui.alerts.configured import channels_of, stderr_writer
    from maos_tui.alerts.delivery import RetryPolicy, send_once
    from maos_tui.alerts.model import Alert, Kind, Message
    from maos_tui.domain import DomainError

    channels = channels_of(ctx.config.alerts(), *stderr_writer())
    if not channels:
        raise DomainError("no alert channel is on: set one in [alerts] of config.toml")
    text = "a test alert from `maos-tui alerts test`: this channel works"
    message = Message.of([Alert("test", Kind.TEST, text)], ctx.workspace.name)
    results = []
    for channel in channels:
        try:
            error = await send_once(channel, message, RetryPolicy().timeout)
        except Skipped as exc:
            results.append((channel.label, "skipped", str(exc)))
            continue
        results.append((channel.label, "failed" if error else "ok", error or ""))
    if ctx.json:
        ctx.emit([{"channel": c, "status": s, "detail": d} for c, s, d in results])
    else:
        for label, status, detail in results:
            ctx.out(f"{status:<8} {label}" + (f": {detail}" if detail else ""))
    return 1 if any(status == "failed" for _, status, _ in results) else 0
