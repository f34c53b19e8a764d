"""`maos-tui init` and `maos-tui status`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from maos_tui.config import resolve_workspace
from maos_tui.domain import DomainError, iso_z, utcnow

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    init = sub.add_parser("init", help="create WORKING.md and .maos/ here", parents=[common])
    init.add_argument("dir", nargs="?", help="workspace folder (default: the resolved one)")
    init.add_argument(
        "--starter-team",
        action="store_true",
        help="also add the starter agents: orchestrator, technical, qa (capability review)",
    )
    init.add_argument("--model", help="model for the starter team (default: default_model)")
    init.add_argument(
        "--gitignore",
        action="store_true",
        help="in a git repository, add .maos/ to the workspace's .gitignore",
    )
    init.set_defaults(handler=init_workspace)

    status = sub.add_parser("status", help="task counts, agents, tokens and cost", parents=[common])
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=show_status)


async def init_workspace(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.commands.gitignore import gitignore_advice
    from maos_tui.resources import working_template
    from maos_tui.starter import add_starter_team
    from maos_tui.store.agent_values import check_entered_model
    from maos_tui.working_md.atomic import atomic_write

    if args.dir:
        ctx.workspace = resolve_workspace(args.dir, ctx.env)
    ws = ctx.workspace
    model = args.model or ctx.config.default_model
    if args.starter_team and not model:
        raise DomainError(
            "the starter team needs a model: pass --model or set default_model in the config"
        )
    if args.starter_team:
        check_entered_model(model)
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.ensure_dirs()
    created = []
    # lexists: a dangling symlink is the user's too, and is never written through.
    if not os.path.lexists(ws.working_md):
        text = working_template().format(workspace=ws.name, updated=iso_z(utcnow()))
        atomic_write(ws.working_md, text.encode("utf-8"))
        created.append(ws.working_md.name)
    # A new WORKING.md is synced once here, so that its sync state exists: the first
    # `task add` can then rewrite it without the store (no hand edit to merge).
    async with ctx.store(writes=args.starter_team or bool(created), create=True) as store:
        team = await add_starter_team(store, model) if args.starter_team and model else []
    what = f"created {', '.join(created)} and .maos/" if created else "already initialised"
    ctx.out(f"{ws.root}: {what}")
    if team:
        ctx.out(f"starter team added ({model}): {', '.join(a.name for a in team)}")
    advice = gitignore_advice(ws.root, add=args.gitignore)
    if advice:
        ctx.out(advice)
    return 0


async def show_status(ctx: Context, args: argparse.Namespace) -> int:
    from maos_tui.agents.readiness import shown
    from maos_tui.domain import utcnow

    async with ctx.reader() as store, store.read() as conn:
        counts = await store.tasks.counts(conn)
        agents = shown(await store.agents.list(conn), ctx.config)
        totals = await store.agents.totals(conn)
        workers = await store.workers.list(conn)
    now = utcnow()
    if ctx.json:
        shown_workers = [w.to_json(now) for w in workers]
        agents_json = [a.to_json() for a in agents]
        ctx.emit({"tasks": counts, "agents": agents_json, "workers": shown_workers, **totals})
        return 0
    ctx.out(f"workspace {ctx.workspace.root}")
    ctx.out("tasks     " + "  ".join(f"{k}: {v}" for k, v in counts.items()))
    for agent in agents:
        reason = f" ({agent.status_reason})" if agent.status_reason else ""
        ctx.out(f"agent     {agent.name}: {agent.status.value}{reason}")
    for worker in workers:
        state = "" if worker.live(now) else ", not heartbeating"
        if worker.cannot_run:
            state += "; " + worker.cannot_run_line()
        ctx.out(
            f"worker    {worker.name}: pid {worker.pid} on {worker.host}, "
            f"heartbeat {worker.age(now):.0f}s ago{state}"
        )
    ctx.out(
        f"usage     {totals['tokens_in']} tokens in, {totals['tokens_out']} out, "
        f"${totals['cost_usd']:.4f}"
    )
    return 0
