"""Agent definitions as column values, and what mirroring config.toml's `[[agents]]`
would change: importable without SQLAlchemy, so that `task add`'s stdlib path can tell
that the store already mirrors the config (and leave it to the store when it does not)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from maos_tui.domain import (
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_MAX_CONCURRENT,
    AgentKind,
    AgentRecord,
    DomainError,
    validate_agent_name,
    validate_capability,
)
from maos_tui.providers import provider_of


class AgentFieldError(DomainError):
    """A bad field of an agent definition. The message names fields by their config key
    (`model`, `heartbeat_seconds`); `named` puts in the CLI's flags or the form's labels."""

    def __init__(self, template: str, *fields: str) -> None:
        self.template = template
        self.fields = fields
        super().__init__(template.format(*fields))

    @property
    def field(self) -> str:
        return self.fields[0]

    def named(self, names: Mapping[str, str]) -> str:
        return self.template.format(*(names.get(f, f) for f in self.fields))


def check_api_base(api_base: str | None) -> None:
    if api_base is None:
        return
    try:
        parts = urlsplit(api_base)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 host
        ok = False
    if not ok or any(c.isspace() for c in api_base):
        raise AgentFieldError(
            "{} must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000/v1",
            "api_base",
        )


def check_entered_model(model: str | None) -> None:
    """A model litellm cannot route is refused where it is entered (`agent add`, the
    agent form, the starter team); one from a config file shows its agent offline."""
    if model is None:
        return
    try:
        provider_of(model)
    except ValueError as exc:
        raise AgentFieldError("{} " + str(exc).removeprefix("model "), "model") from None


def split_command(text: str | None, shell: bool) -> list[str] | None:
    """A --command (or the form's command) as stored: argv split like a shell would, or,
    for a shell agent, the one string /bin/sh runs, quotes and all."""
    if text is None:
        return None
    if not text.strip():
        raise AgentFieldError("{} is empty", "command")
    if shell:
        return [text]
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise AgentFieldError("cannot split {}: " + str(exc), "command") from None


def command_text(agent: AgentRecord) -> str:
    """What the agent runs, as the user would type it: a shell agent's command is one
    string, kept exactly as given."""
    command = agent.command or ()
    return " ".join(command) if agent.shell else shlex.join(command)


def _positive(field: str, value: int) -> None:
    if value < 1:
        raise AgentFieldError("{} must be at least 1, not " + str(value), field)


def agent_values(
    name: str,
    *,
    model: str | None = None,
    command: Sequence[str] | None = None,
    role: str = "",
    capabilities: Iterable[str] = (),
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    system_prompt: str = "",
    api_base: str | None = None,
    shell: bool = False,
    budget_usd: float | None = None,
    budget_tokens: int | None = None,
) -> dict[str, Any]:
    """Validate an agent definition (CLI, TUI form or config table) into column values."""
    validate_agent_name(name)
    if (model is None) == (command is None):
        raise AgentFieldError("give exactly one of {} or {}", "model", "command")
    if model is not None and not model.strip():
        raise AgentFieldError("{} is empty", "model")
    if command is not None and (not command or not all(isinstance(c, str) for c in command)):
        raise AgentFieldError("{} must be a non-empty list of arguments", "command")
    if shell and command is None:
        raise AgentFieldError("{} needs {}", "shell", "command")
    _positive("heartbeat_seconds", heartbeat_seconds)
    _positive("max_concurrent", max_concurrent)
    check_api_base(api_base)
    if budget_usd is not None and budget_usd < 0:
        raise DomainError("budget_usd must not be negative")
    if budget_tokens is not None and budget_tokens < 0:
        raise DomainError("budget_tokens must not be negative")
    caps = list(dict.fromkeys(validate_capability(c) for c in capabilities))
    return {
        "name": name,
        "role": role,
        "kind": (AgentKind.LLM if model is not None else AgentKind.COMMAND).value,
        "model": model.strip() if model is not None else None,
        "command": json.dumps(list(command)) if command is not None else None,
        "shell": shell,
        "api_base": api_base,
        "capabilities": json.dumps(caps),
        "heartbeat_seconds": heartbeat_seconds,
        "max_concurrent": max_concurrent,
        "system_prompt": system_prompt,
        "budget_usd": budget_usd,
        "budget_tokens": budget_tokens,
    }


_CONFIG_KEYS = {
    "name",
    "role",
    "kind",
    "model",
    "command",
    "capabilities",
    "heartbeat_seconds",
    "max_concurrent",
    "system_prompt",
    "api_base",
    "budget_usd",
    "budget_tokens",
    "shell",
    "mcp_servers",  # read by the LLM runner from the config, never stored
    "workers",  # read by each worker from its own config (scheduler/seat.py), never stored
}


def config_agent_values(table: dict[str, Any]) -> dict[str, Any]:
    """One `[[agents]]` table from config.toml; raises DomainError naming the bad key."""
    unknown = sorted(set(table) - _CONFIG_KEYS)
    if unknown:
        raise DomainError(f"unknown key {unknown[0]}")
    if "name" not in table:
        raise DomainError("missing key name")
    kind = table.get("kind")
    if kind is not None and kind not in {k.value for k in AgentKind}:
        raise DomainError(f"key kind: must be llm or command, not {kind!r}")
    command = table.get("command")
    if isinstance(command, str):
        raise DomainError('key command: must be an array of arguments, e.g. ["aider", "--yes"]')
    return agent_values(
        str(table["name"]),
        model=table.get("model"),
        command=command,
        role=str(table.get("role", "")),
        capabilities=table.get("capabilities", []),
        heartbeat_seconds=int(table.get("heartbeat_seconds", DEFAULT_HEARTBEAT_SECONDS)),
        max_concurrent=int(table.get("max_concurrent", DEFAULT_MAX_CONCURRENT)),
        system_prompt=str(table.get("system_prompt", "")),
        api_base=table.get("api_base"),
        shell=bool(table.get("shell", False)),
        budget_usd=table.get("budget_usd"),
        budget_tokens=table.get("budget_tokens"),
    )


@dataclass(frozen=True)
class ConfigAgentsPlan:
    """What `AgentService.sync_config` writes: upserts by name, removals of agents the
    config dropped. False when there is nothing to do."""

    wanted: dict[str, dict[str, Any]]
    existing: dict[str, Mapping[str, Any]]
    changes: list[str]
    stale: list[str]

    def __bool__(self) -> bool:
        return bool(self.changes or self.stale)


def plan_config_agents(
    tables: list[dict[str, Any]], rows: Iterable[Mapping[str, Any]]
) -> ConfigAgentsPlan:
    """Compare `[[agents]]` with the stored agents' rows; raises DomainError for a bad
    table, or for a config agent that was also added with `agent add`."""
    wanted = {}
    for index, table in enumerate(tables):
        try:
            values = config_agent_values(table)
        except DomainError as exc:
            raise DomainError(f"[[agents]] #{index + 1}: {exc}") from None
        wanted[values["name"]] = values
    existing = {r["name"]: r for r in rows}
    changes = [
        n for n, v in wanted.items() if n not in existing or any(existing[n][k] != v[k] for k in v)
    ]
    stale = [n for n, r in existing.items() if r["source"] == "config" and n not in wanted]
    clash = [n for n in wanted if n in existing and existing[n]["source"] != "config"]
    if clash:
        raise DomainError(
            f"agent {clash[0]} is defined in config.toml and was also added with "
            "`agent add`; remove one of them"
        )
    return ConfigAgentsPlan(wanted, existing, changes, stale)
