"""Every config setting, once: its name, type, default and what it does.

Each table of config.toml is a dataclass whose fields are its keys; the checks
(config_checks.py) walk these types, so a new setting is one field here and nothing else.
`None` defaults mean "not set": TOML has no null, so a present key always has a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from maos_tui.domain import DEFAULT_HEARTBEAT_SECONDS, DEFAULT_MAX_CONCURRENT

ISOLATION_MODES = ("worktree", "none")
MERGE_STRATEGIES = ("squash", "merge", "rebase")


def meta(
    doc: str,
    *,
    minimum: float | None = None,
    why: str = "",
    choices: tuple[str, ...] = (),
    check: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """A field's documentation and limits (`why` says what a smaller value would do;
    `check` says what is wrong with a string, or None)."""
    return {"doc": doc, "minimum": minimum, "why": why, "choices": choices, "check": check}


def _url_problem(value: str) -> str | None:
    # The value is not repeated: a webhook URL may hold a token.
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "must be an http:// or https:// URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL"
    return None


def _repeats(default: int, doc: str, what: str) -> Any:
    """A loop threshold (see scheduler/loops.py): how often something may repeat."""
    why = f"1 would call every {what} a loop"
    return field(default=default, metadata=meta(f"{doc} is looping", minimum=2, why=why))


def _unchanged(default: float, doc: str, minimum: float, why: str) -> Any:
    """A loop threshold of a run whose worktree's diff does not move (scheduler/diff_loops.py)."""
    doc = f"{doc} while its diff stays the same is looping"
    return field(default=default, metadata=meta(doc, minimum=minimum, why=why))


@dataclass(frozen=True)
class SchedulerSettings:
    max_parallel: int = field(
        default=4,
        metadata=meta(
            "runs at once across all agents", minimum=1, why="0 would never start a task"
        ),
    )
    worker_heartbeat_seconds: float = field(
        default=5.0,
        metadata=meta(
            "seconds between a worker's heartbeats; three missed ones end its leases",
            minimum=0.1,
            why="0 would take every worker for dead",
        ),
    )
    retry_base_seconds: float = field(
        default=2.0, metadata=meta("first wait before a retry (doubles)", minimum=0)
    )
    retry_max_seconds: float = field(
        default=300.0, metadata=meta("longest wait before a retry", minimum=0)
    )
    max_retries: int = field(
        default=3, metadata=meta("retries of a failed run before the task fails", minimum=0)
    )
    step_limit: int = field(
        default=12,
        metadata=meta(
            "model calls per LLM run", minimum=1, why="0 would end every run before it starts"
        ),
    )
    max_tool_calls: int = field(default=50, metadata=meta("tool calls per LLM run", minimum=0))
    max_subtasks: int = field(
        default=20, metadata=meta("subtasks one LLM run may create", minimum=0)
    )
    budget_usd: float | None = field(
        default=None, metadata=meta("stop starting runs past this spend", minimum=0)
    )
    budget_tokens: int | None = field(
        default=None, metadata=meta("stop starting runs past these tokens", minimum=0)
    )
    forecast_gate: bool = field(
        default=False,
        metadata=meta("hold a run whose likely cost to finish would pass budget_usd"),
    )
    loop_same_call: int = _repeats(
        4, "a run repeating the same tool call (name and arguments) this often", "tool call"
    )
    loop_same_text: int = _repeats(3, "a run repeating the same assistant text this often", "reply")
    loop_same_error: int = _repeats(
        3, "a run getting the same tool error this often in a row", "tool error"
    )
    loop_output_lines: int = field(
        default=3,
        metadata=meta("lines of a command agent's output compared as one block", minimum=1),
    )
    loop_output_repeats: int = _repeats(
        3, "a command agent printing the same block of output this often", "output"
    )
    loop_diff_steps: int = _unchanged(
        15, "a work run in a worktree making this many tool calls", 2, "1 would flag every read"
    )
    loop_diff_minutes: float = _unchanged(
        20.0, "a work run in a worktree acting this many minutes", 0.05, "less would flag edits"
    )


@dataclass(frozen=True)
class McpServerEntry:
    """One of an LLM agent's `mcp_servers`: a program over stdio, or a streamable HTTP URL."""

    name: str = field(metadata=meta("prefixes the server's tools (fs: fs.read_file)"))
    command: list[str] | None = field(
        default=None,
        metadata=meta('program and arguments, e.g. ["npx", "-y", "some-mcp-server"]', minimum=1),
    )
    env: dict[str, str] = field(
        default_factory=dict, metadata=meta("the program's environment; ${VAR} reads yours")
    )
    url: str | None = field(
        default=None, metadata=meta("streamable HTTP endpoint, e.g. http://127.0.0.1:9000/mcp")
    )
    headers: dict[str, str] = field(
        default_factory=dict,
        metadata=meta('HTTP headers, e.g. Authorization = "Bearer ${DOCS_TOKEN}"'),
    )


@dataclass(frozen=True)
class AgentEntry:
    """One `[[agents]]` table; `name` and one of `model` or `command` are required."""

    name: str = field(metadata=meta("unique agent name (@mentions use it)"))
    role: str = field(default="", metadata=meta("one line on what the agent is for"))
    kind: str | None = field(
        default=None, metadata=meta("llm or command (inferred)", choices=("llm", "command"))
    )
    model: str | None = field(
        default=None, metadata=meta("litellm model string, e.g. openai/gpt-4o-mini")
    )
    command: list[str] | None = field(
        default=None, metadata=meta('program and arguments, e.g. ["aider", "--yes"]', minimum=1)
    )
    capabilities: list[str] = field(
        default_factory=list, metadata=meta('what it can take on, e.g. ["code", "review"]')
    )
    heartbeat_seconds: int = field(
        default=DEFAULT_HEARTBEAT_SECONDS,
        metadata=meta("seconds between liveness checks", minimum=1),
    )
    max_concurrent: int = field(
        default=DEFAULT_MAX_CONCURRENT, metadata=meta("runs at once", minimum=1)
    )
    system_prompt: str = field(default="", metadata=meta("extra instructions for an LLM agent"))
    api_base: str | None = field(default=None, metadata=meta("OpenAI-compatible server URL"))
    shell: bool = field(default=False, metadata=meta("run command through the shell"))
    isolation: str | None = field(
        default=None,
        metadata=meta("overrides [workspace] isolation for this agent", choices=ISOLATION_MODES),
    )
    budget_usd: float | None = field(
        default=None, metadata=meta("stop this agent past this spend", minimum=0)
    )
    budget_tokens: int | None = field(
        default=None, metadata=meta("stop this agent past these tokens", minimum=0)
    )
    workers: list[str] = field(
        default_factory=list,
        metadata=meta(
            'the only workers that run it (`run --worker NAME`), e.g. ["build-box"]; any if unset'
        ),
    )
    mcp_servers: list[McpServerEntry] = field(
        default_factory=list, metadata=meta("MCP servers whose tools an LLM agent may call")
    )


@dataclass(frozen=True)
class ModelPrice:
    input_cost_per_token: float = field(
        default=0.0, metadata=meta("USD per prompt token", minimum=0)
    )
    output_cost_per_token: float = field(
        default=0.0, metadata=meta("USD per completion token", minimum=0)
    )


@dataclass(frozen=True)
class AlertSettings:
    """`[alerts]`: where "needs you" alerts go (maos_tui/alerts/)."""

    terminal: bool = field(
        default=True, metadata=meta("bell and OSC 9/777 notification in the app's terminal")
    )
    desktop: bool = field(default=False, metadata=meta("notify-send, when on PATH"))
    webhook: str | None = field(
        default=None,
        metadata=meta("URL that gets each alert (JSON, or ntfy/gotify)", check=_url_problem),
    )
    webhook_format: str = field(
        default="auto",
        metadata=meta(
            "auto (from the URL), json, ntfy or gotify", choices=("auto", "json", "ntfy", "gotify")
        ),
    )
    command: list[str] | None = field(
        default=None,
        metadata=meta('argv given the alert as JSON on stdin, e.g. ["notify", "-u"]', minimum=1),
    )


@dataclass(frozen=True)
class WorkspaceSettings:
    """`[workspace]`: coding agents on a git repository, each task in its own worktree."""

    isolation: str | None = field(
        default=None,
        metadata=meta(
            "worktree: each task in its own git worktree and branch; none: all in the folder "
            "(default: worktree in a git repository with a commit)",
            choices=ISOLATION_MODES,
        ),
    )
    base_branch: str | None = field(
        default=None,
        metadata=meta("branch tasks start from and merge into (default: the checked-out one)"),
    )
    worktree_root: str | None = field(
        default=None,
        metadata=meta("folder of the worktrees, relative to the repository (.maos/worktrees)"),
    )
    copy: list[str] = field(
        default_factory=list,
        metadata=meta('git-ignored files copied into new worktrees, e.g. [".env", "*.local.toml"]'),
    )
    setup: list[str] | None = field(
        default=None, metadata=meta('command run in a new worktree, e.g. ["npm", "ci"]', minimum=1)
    )
    merge: str = field(
        default="squash", metadata=meta("how a task's branch merges", choices=MERGE_STRATEGIES)
    )
    auto_merge: bool = field(
        default=False, metadata=meta("merge an approved task by itself when it merges cleanly")
    )
    allowed_commands: list[list[str]] = field(
        default_factory=list,
        metadata=meta(
            'commands an LLM agent may run in its worktree, e.g. [["pytest"], ["npm", "test"]]'
        ),
    )


@dataclass(frozen=True)
class ConfigFile:
    """A whole config.toml (the user's, or a workspace's on top of it)."""

    default_model: str | None = field(
        default=None, metadata=meta("model of the starter team and new agents")
    )
    theme: str | None = field(default=None, metadata=meta("TUI theme name"))
    user_name: str = field(default="human", metadata=meta("the name that @mentions of you use"))
    scheduler: SchedulerSettings = field(default=SchedulerSettings(), metadata=meta("[scheduler]"))
    alerts: AlertSettings = field(default=AlertSettings(), metadata=meta("[alerts]"))
    workspace: WorkspaceSettings = field(default=WorkspaceSettings(), metadata=meta("[workspace]"))
    agents: list[AgentEntry] = field(
        default_factory=list, metadata=meta("[[agents]]: agents defined in config")
    )
    keymap: dict[str, str] = field(
        default_factory=dict,
        metadata=meta('[keymap]: binding id = keys, e.g. "task.new" = "ctrl+n"'),
    )
    pricing: dict[str, ModelPrice] = field(
        default_factory=dict, metadata=meta('[pricing."model"]: prices litellm lacks')
    )
    api_keys: dict[str, list[str]] = field(
        default_factory=dict,
        metadata=meta(
            '[api_keys]: VARIABLE = command printing it, e.g. ["pass", "show", "openai"]', minimum=1
        ),
    )
