"""LLM agents through litellm: a multi-step tool-calling loop.

litellm is imported lazily, on a thread of its own (it takes seconds of CPU): the scheduler
starts that import as soon as an LLM agent has work ahead of it, and a run awaits it, so
the event loop, and the command agents' runs it starts, never wait for it. Every setting is
passed per call, never through module globals, because several agents call concurrently.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import os
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from maos_tui.agents.base import Job, RunHooks, RunResult
from maos_tui.agents.context import working_md_excerpt
from maos_tui.agents.secrets import scrub
from maos_tui.agents.tools import Toolbox
from maos_tui.providers import missing_keys

if TYPE_CHECKING:
    from types import ModuleType

    from maos_tui.config import Config

ERROR_CHARS = 500
TOOL_RULES = """\
You work inside maos-tui, a board of tasks shared by AI agents and people.
Rules:
- Work only through the tools. Finish by calling complete_task(summary) with a short summary
  of the result, or fail_task(reason) if you cannot do the task.
- Create subtasks with create_task when the work splits; use `after` for their order.
- Use post_message to talk in the task's thread; @name notifies an agent or the human.
  If you need a person's decision, post_message(type="question") to @human: your run
  ends and the task waits until they answer in the thread.
- Deliverables go in write_document (markdown).
- `notifications` in your task JSON are mentions of you: answer them in the thread.
"""
REPLY_RULES = """\
You were mentioned in this task's thread (see `notifications` and `messages`). This is not
your task to do: answer with post_message, then call complete_task(summary).
"""
REVIEW_RULES = """\
You are reviewing another agent's finished work. Approve it with complete_task(summary),
or call request_changes(reason) saying exactly what must change.
"""
NUDGE = "Call complete_task(summary) if the task is finished, or fail_task(reason) if not."


def load_litellm() -> ModuleType:
    """Import litellm quietly and without network access for its price map."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
    return litellm


@functools.cache
def start_loading() -> Future[ModuleType]:
    """Begin importing litellm on a background thread, once per process. A daemon thread:
    a scheduler that stops meanwhile (`run --until-idle`) must not wait for it to end."""
    loaded: Future[ModuleType] = Future()
    # Running from now on: a run cancelled while it waits must not cancel the import too.
    loaded.set_running_or_notify_cancel()

    def load() -> None:
        try:
            module = load_litellm()
        except BaseException as exc:  # reported to whichever run awaits it
            loaded.set_exception(exc)
            return
        # Its modules live as long as the process: kept out of the collector's full passes,
        # which would otherwise walk them all again every few seconds (see tui/app.py).
        gc.freeze()
        loaded.set_result(module)

    threading.Thread(target=load, name="maos-litellm-import", daemon=True).start()
    return loaded


async def litellm_for_run(hooks: RunHooks) -> ModuleType:
    """litellm, once the background import (started now if need be) has finished. The wait
    counts as the run's progress: the import can take longer than a short heartbeat, and
    the run is not stalled meanwhile."""
    loading = asyncio.wrap_future(start_loading())
    while not loading.done():
        hooks.progress()
        await asyncio.wait([loading], timeout=0.5)
    return loading.result()


def call_options(job_model: str, api_base: str | None, timeout: float) -> dict[str, Any]:
    """Per-call settings; litellm reads the provider key from the environment itself."""
    options: dict[str, Any] = {"model": job_model, "timeout": timeout, "num_retries": 0}
    if api_base:
        options["api_base"] = api_base
        if missing_keys(job_model, None, lambda name: bool(os.environ.get(name))):
            # A server of the user's own may want no key, but the OpenAI client wants one.
            options["api_key"] = "no-key"
    return options


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return scrub(f"{type(exc).__name__}: {text}"[:ERROR_CHARS])


def price(litellm: ModuleType, config: Config, model: str, response: Any) -> float:
    """Config `[pricing."model"]` first (overrides), then litellm's bundled map, else 0."""
    usage = getattr(response, "usage", None)
    tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
    tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
    custom = config.pricing.get(model)
    if custom is not None:
        return tokens_in * float(custom.get("input_cost_per_token", 0.0)) + tokens_out * float(
            custom.get("output_cost_per_token", 0.0)
        )
    try:
        return float(litellm.completion_cost(completion_response=response, model=model) or 0.0)
    except Exception:  # unknown model: no price, tokens still counted
        return 0.0


def first_prompt(job: Job) -> list[dict[str, Any]]:
    agent = job.agent
    system = "\n\n".join(
        part
        for part in (
            f"You are {agent.name}" + (f", {agent.role}." if agent.role else "."),
            agent.system_prompt,
            TOOL_RULES,
            {"review": REVIEW_RULES, "reply": REPLY_RULES}.get(job.kind, ""),
        )
        if part
    )
    board = working_md_excerpt(job.workspace)
    user = "Your task (JSON):\n" + json.dumps(job.context, ensure_ascii=False, indent=1)
    if board:
        user += "\n\nThe current WORKING.md of the workspace:\n" + board
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class LlmRunner:
    async def run(self, job: Job, hooks: RunHooks) -> RunResult:
        # The agent's MCP servers start (on its first run) while litellm loads.
        mcp = job.mcp.tools_for(job, hooks) if job.mcp is not None else _no_tools()
        litellm, mcp_tools = await asyncio.gather(litellm_for_run(hooks), mcp)
        model = job.agent.model or ""
        settings = job.settings
        tools = Toolbox(job, settings.max_tool_calls, settings.max_subtasks, mcp_tools)
        messages = first_prompt(job)
        options = call_options(model, job.agent.api_base, float(job.task.timeout_seconds))
        nudged = False
        for _step in range(job.settings.step_limit):
            try:
                response = await litellm.acompletion(
                    messages=messages, tools=tools.specs(), **options
                )
                choice = response.choices[0].message
            except Exception as exc:  # rate limits, 5xx, timeouts, invalid responses
                return RunResult.failed(describe_error(exc))
            usage = getattr(response, "usage", None)
            await hooks.usage(
                int(getattr(usage, "prompt_tokens", 0) or 0),
                int(getattr(usage, "completion_tokens", 0) or 0),
                price(litellm, job.config, model, response),
            )
            calls = list(getattr(choice, "tool_calls", None) or [])
            looping = None
            if choice.content:
                await hooks.output(scrub(str(choice.content)) + "\n")
                looping = await hooks.observe("text", str(choice.content))
            if not calls:
                if nudged:
                    return RunResult.failed(
                        "no result: the model stopped without complete_task or fail_task"
                    )
                nudged = True
                messages.append({"role": "assistant", "content": choice.content or ""})
                messages.append({"role": "user", "content": f"{looping or ''}\n{NUDGE}".strip()})
                continue
            messages.append(_assistant_turn(choice, calls))
            for call in calls:
                name = call.function.name or ""
                raw = call.function.arguments
                looping = await hooks.observe("call", f"{name} {raw or ''}") or looping
                reply, result = await tools.call(name, raw)
                hooks.progress()
                await hooks.output(f"[tool] {tools.label(name)}: {scrub(reply)}\n")
                if result is not None:
                    return result
                if tools.exhausted:  # a budget, not a mistake the model could correct
                    return RunResult.failed(reply.removeprefix("error: "))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": reply})
                error = reply.startswith("error: ")
                looping = await hooks.observe("error" if error else "ok", reply) or looping
            if looping:
                messages.append({"role": "user", "content": looping})
        return RunResult.failed(
            f"no result: step limit ({job.settings.step_limit}) reached "
            "without complete_task or fail_task"
        )


async def _no_tools() -> None:
    return None


def _assistant_turn(choice: Any, calls: list[Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": choice.content or "",
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments},
            }
            for c in calls
        ],
    }
