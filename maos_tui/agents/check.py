"""`agent check NAME`: is the agent usable, down to one tiny request to its model?"""

from __future__ import annotations

import os
import shutil
import time

from maos_tui.agents.llm import call_options, describe_error, load_litellm
from maos_tui.agents.readiness import has_key_in, problem
from maos_tui.domain import AgentKind, AgentRecord

CHECK_TIMEOUT_SECONDS = 30.0


async def check_agent(agent: AgentRecord) -> tuple[bool, str]:
    """(ok, one line for the user). LLM agents get one tiny request."""
    if agent.kind is AgentKind.COMMAND:
        program = (agent.command or ("",))[0]
        if agent.shell or shutil.which(program):
            return True, f"{agent.name}: command {program} found"
        return False, f"{agent.name}: command {program!r} not found on PATH"
    reason = problem(agent, has_key_in(os.environ))
    if reason:
        suffix = " in the environment" if reason.startswith("missing ") else ""
        return False, f"{agent.name}: {reason}{suffix}"
    litellm = load_litellm()
    started = time.monotonic()
    try:
        await litellm.acompletion(
            messages=[{"role": "user", "content": "Reply with: ok"}],
            max_tokens=5,
            **call_options(agent.model or "", agent.api_base, CHECK_TIMEOUT_SECONDS),
        )
    except Exception as exc:
        return False, f"{agent.name}: {agent.model} is not usable: {describe_error(exc)}"
    elapsed = (time.monotonic() - started) * 1000
    return True, f"{agent.name}: {agent.model} answered in {elapsed:.0f} ms"
