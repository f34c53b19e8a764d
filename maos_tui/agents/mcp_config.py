"""An LLM agent's `mcp_servers` as config.toml gives them: the rules the config checks apply
(config_checks.py), and what a connection needs, read at connect time.

`${VAR}` in `env` and `headers` values is read from the environment when the server is
started, into the connection's own arguments only: never into the config, the store or a
message. The values read are kept beside them, so every error can be masked with them.
Importable without the `mcp` SDK, which checking a config never loads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from maos_tui.config import Config

# The model sees a tool as `<server>__<tool>` (see mcp_tools.py): a server name never
# holds `__`, so the first one always ends it.
_SERVER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
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

    @property
    def where(self) -> str:
        """What the server is, for messages: the program, or the URL without its query."""
        if self.command:
            return self.command[0]
        parts = urlsplit(self.url or "")
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


class MissingVariable(Exception):
    """A `${VAR}` whose variable is not set; the message names it, never a value."""


def name_problem(name: str) -> str | None:
    if not _SERVER_NAME.fullmatch(name) or "__" in name:
        return (
            "must start with a letter, then letters, digits, - or _ (at most 32), "
            'without "__" (it prefixes the tools\' names)'
        )
    return None


def reference_problem(value: str) -> str | None:
    """Why a `${...}` in a value is not a variable reference, or None."""
    for start in (m.start() for m in re.finditer(r"\$\{", value)):
        if not _REFERENCE.match(value, start):
            return "has a ${ that is not a variable reference such as ${DOCS_TOKEN}"
    return None


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (a malformed port raises here)
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in url):
        return "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000/mcp"
    return None


def entry_problems(entry: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """What the types cannot say about one checked entry: (key path within it, message)."""
    found: list[tuple[tuple[str, ...], str]] = []
    name = entry.get("name")
    if isinstance(name, str) and (problem := name_problem(name)):
        found.append((("name",), problem))
    if ("command" in entry) == ("url" in entry):
        found.append(((), "give exactly one of command (a program) or url (streamable HTTP)"))
    if "url" in entry and (problem := url_problem(entry["url"])):
        found.append((("url",), problem))
    if "env" in entry and "command" not in entry:
        found.append((("env",), "is for a server started with command"))
    if "headers" in entry and "url" not in entry:
        found.append((("headers",), "is for a server reached by url"))
    for table in ("env", "headers"):
        for key, value in (entry.get(table) or {}).items():
            if problem := reference_problem(value):
                found.append(((table, key), problem))
    return found


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

    return {key: _REFERENCE.sub(read, value) for key, value in (values or {}).items()}


def mask(text: str, secrets: list[str]) -> str:
    """`text` with the values read for `${VAR}`s and every known secret shape redacted."""
    from maos_tui.agents.secrets import REDACTED, scrub

    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return scrub(text)
