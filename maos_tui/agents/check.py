"""Is an agent usable? Missing provider keys (offline, no work) and `agent check NAME`."""

from __future__ import annotations

import shutil
import time
from typing import Any

from maos_tui.agents.llm import call_options, describe_error, load_litellm
from maos_tui.domain import AgentKind, AgentRecord

CHECK_TIMEOUT_SECONDS = 30.0


def missing_keys(agent: AgentRecord) -> list[str]:
    """Provider keys the agent's model needs but the environment lacks (litellm decides).

    Missing `*_API_BASE` settings are not reported: providers like Ollama have a default.
    """
    if agent.kind is not AgentKind.LLM or not agent.model:
        return []
    litellm = load_litellm()
    try:
        found: dict[str, Any] = litellm.validate_environment(
            model=agent.model, api_base=agent.api_base
        )
    except Exception:  # a model string litellm cannot parse fails at call time, clearly
        return []
    return [k for k in found.get("missing_keys", []) if not k.endswith("_API_BASE")]


async def check_agent(agent: AgentRecord) -> tuple[bool, str]:
    """(ok, one line for the user). LLM agents get one tiny request."""
    if agent.kind is AgentKind.COMMAND:
        program = (agent.command or ("",))[0]
        if agent.shell or shutil.which(program):
            return True, f"{agent.name}: command {program} found"
        return False, f"{agent.name}: command {program!r} not found on PATH"
    missing = missing_keys(agent)
    if missing:
        return False, f"{agent.name}: missing {', '.join(missing)} in the environment"
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
