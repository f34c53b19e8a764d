"""`maos-tui agent check NAME`: one tiny request to the agent's model (or a PATH lookup for
a command agent). Exit 0 when usable; otherwise one `error:` line, with no key in it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


async def agent_check(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.agents.check import check_agent
    from maos_tui.agents.keys import load_key_commands
    from maos_tui.domain import DomainError

    for name, failure in (await load_key_commands(ctx.config)).items():
        ctx.warn(f"{name}: {failure}")
    async with ctx.store() as store:
        agent = await store.agents.get(args.name)
    ok, line = await check_agent(agent, ctx.config, ctx.workspace.root)
    if not ok:
        raise DomainError(line)
    ctx.out(line)
    return 0
