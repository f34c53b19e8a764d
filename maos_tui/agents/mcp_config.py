"""An LLM agent's `mcp_servers` as config.toml gives them (checked by config_checks.py),
and what a connection needs, read at connect time.

`${VAR}` in `env` and `headers` values is read from the environment when the server is
started, into the connection's own arguments only: never into the config, the store or a
message. The values read are kept beside them, so every error can be masked with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from maos_tui.config_checks import VARIABLE_REFERENCE

if TYPE_CHECKING:
    from maos_tui.config import Config

# Values read for `${VAR}`s are masked in all the server's answers and errors; a shorter
# one (a flag, a port) would blank out ordinary text and is no secret.
MASKED_LENGTH = 4


@dataclass(frozen=True)
class ServerSpec:
    """One server as configured; env and header values still hold their `${VAR}`s."""

    name: str
    command: tuple[str, ...] | None = None
    url: str | None = None
    env: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None


class MissingVariable(Exception):
    """A `${VAR}` whose variable is not set; the message names it, never a value."""


def specs_of(config: Config, agent: str) -> list[ServerSpec]:
    """The agent's servers as the checked config holds them (none for an agent not in it)."""
    table = next((a for a in config.agents if a.get("name") == agent), None)
    if table is None:
        return []
    return [
        ServerSpec(
            name=entry["name"],
            command=tuple(entry["command"]) if "command" in entry else None,
            url=entry.get("url"),
            env=dict(entry.get("env", {})),
            headers=dict(entry.get("headers", {})),
        )
        for entry in table.get("mcp_servers", [])
    ]


def expand(
    values: Mapping[str, str] | None, environ: Mapping[str, str], secrets: list[str]
) -> dict[str, str]:
    """`values` with each `${VAR}` read from `environ`; every value read joins `secrets`."""

    def read(match: re.Match[str]) -> str:
        value = environ.get(match.group(1))
        if value is None:
            raise MissingVariable(f"environment variable {match.group(1)} is not set")
        if len(value) >= MASKED_LENGTH:
            secrets.append(value)
        return value

    return {key: VARIABLE_REFERENCE.sub(read, value) for key, value in (values or {}).items()}


def mask(text: str, secrets: list[str]) -> str:
    """`text` with the values read for `${VAR}`s and every known secret shape redacted."""
    from maos_tui.agents.secrets import REDACTED, scrub

    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return scrub(text)
