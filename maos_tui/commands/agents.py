"""`maos-tui agent ...`"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from maos_tui.agents.readiness import shown
from maos_tui.agents.secrets import mask_url_secrets
from maos_tui.commands.agent_check import agent_check
from maos_tui.commands.context import command_group
from maos_tui.domain import AgentRecord, DomainError
from maos_tui.store.agent_values import AgentFieldError, command_text, split_command

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    action = command_group(sub, common, "agent", "add, list, pause and remove agents")

    add = action("add", "add an LLM (--model) or CLI (--command) agent", agent_add)
    add.add_argument("name")
    add.add_argument("--model", help="litellm model string, e.g. openai/gpt-4o-mini")
    add.add_argument("--command", help='argv, split like a shell would: "aider --yes"')
    add.add_argument(
        "--shell", action="store_true", help="run --command through /bin/sh, exactly as given"
    )
    add.add_argument("--role", default="")
    add.add_argument("--capability", action="append", default=[], metavar="C")
    add.add_argument("--heartbeat", type=int, default=30, metavar="SECONDS")
    add.add_argument("--max-concurrent", type=int, default=1, metavar="N")
    add.add_argument("--system-prompt", default="")
    add.add_argument("--api-base", help="OpenAI-compatible base URL (Ollama, vLLM, ...)")
    add.add_argument("--json", action="store_true")

    lst = action("list", "list agents", agent_list)
    lst.add_argument("--json", action="store_true")
    show = action("show", "show one agent", agent_show)
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    check = action("check", "send one tiny request: is the model reachable?", agent_check)
    check.add_argument("name")
    for name, handler in (
        ("pause", agent_pause),
        ("resume", agent_resume),
        ("remove", agent_remove),
    ):
        parser = action(name, f"{name} an agent", handler)
        parser.add_argument("name")


# The CLI's names for an agent's fields, in the errors the store's validation raises.
FLAGS = {
    "model": "--model",
    "command": "--command",
    "shell": "--shell",
    "heartbeat_seconds": "--heartbeat",
    "max_concurrent": "--max-concurrent",
    "api_base": "--api-base",
}


def describe(agent: AgentRecord) -> str:
    runs = agent.model if agent.model is not None else command_text(agent)
    caps = f"  [{', '.join(agent.capabilities)}]" if agent.capabilities else ""
    reason = f"  ({agent.status_reason})" if agent.status_reason else ""
    return f"{agent.name:<24} {agent.status.value:<8} {agent.kind.value:<8} {runs}{caps}{reason}"


async def agent_add(ctx: Context, args: argparse.Namespace) -> int:
    try:
        command = split_command(args.command, args.shell)
        async with ctx.store(writes=True) as store:
            agent = await store.agents.add(
                args.name,
                model=args.model,
                command=command,
                shell=args.shell,
                role=args.role,
                capabilities=args.capability,
                heartbeat_seconds=args.heartbeat,
                max_concurrent=args.max_concurrent,
                system_prompt=args.system_prompt,
                api_base=args.api_base,
            )
    except AgentFieldError as exc:
        raise DomainError(exc.named(FLAGS)) from None
    if ctx.json:
        ctx.emit(agent.to_json())
    else:
        ctx.out(agent.name)
    return 0


async def agent_list(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        found = shown(await store.agents.list(), ctx.config)
    ctx.emit_all(found, describe)
    return 0


async def agent_show(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.reader() as store:
        [agent] = shown([await store.agents.get(args.name)], ctx.config)
    if ctx.json:
        ctx.emit(agent.to_json())
        return 0
    ctx.out(describe(agent))
    ctx.out(f"  role:        {agent.role or '-'}")
    ctx.out(f"  heartbeat:   every {agent.heartbeat_seconds}s, max {agent.max_concurrent} at once")
    ctx.out(f"  tokens:      {agent.tokens_in} in / {agent.tokens_out} out")
    ctx.out(f"  cost:        ${agent.cost_usd:.4f}")
    if agent.api_base:
        ctx.out(f"  api base:    {mask_url_secrets(agent.api_base)}")
    return 0


async def agent_pause(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        agent = await store.agents.set_paused(args.name, True)
    ctx.out(f"{agent.name} paused")
    return 0


async def agent_resume(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        agent = await store.agents.set_paused(args.name, False)
    ctx.out(f"{agent.name} resumed")
    return 0


async def agent_remove(ctx: Context, args: argparse.Namespace) -> int:
    async with ctx.store(writes=True) as store:
        requeued = await store.agents.remove(args.name)
    suffix = f"; back to inbox: {', '.join(requeued)}" if requeued else ""
    ctx.out(f"{args.name} removed{suffix}")
    return 0
