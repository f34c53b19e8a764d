"""MCP servers' tools as one LLM run offers them: names the model may use, their schemas,
and the servers' answers as text the model reads.

OpenAI-style APIs accept function names of `[A-Za-z0-9_-]{1,64}` only, so `fs.read_file`
is offered as `fs__read_file`: a server name never holds `__` (config_checks.py), and other
characters of a tool's name become `_`. A name still too long, or taken, ends in a short
hash of the real one. The run keeps the table from offered name to (server, tool), so the
mapping never has to be parsed back; logs and errors show the dotted name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maos_tui.agents.mcp_connection import Connection

MAX_NAME = 64
# OpenAI takes at most 128 tools per request, ours included; each costs prompt tokens.
MAX_TOOLS = 100
MAX_DESCRIPTION = 1024
MAX_REPLY_CHARS = 64 * 1024  # a tool's answer goes into every later prompt of the run
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def offered_name(server: str, tool: str, taken: Callable[[str], bool]) -> str:
    name = f"{server}__{_NOT_ALLOWED.sub('_', tool)}"
    if len(name) > MAX_NAME or taken(name):
        digest = hashlib.sha256(f"{server}.{tool}".encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - len(digest) - 1]}_{digest}"
    return name


def parameters(schema: Any) -> dict[str, Any]:
    """A tool's input schema as a function's parameters: always an object schema."""
    parameters = dict(schema) if isinstance(schema, dict) else {}
    parameters["type"] = "object"
    parameters.setdefault("properties", {})
    return parameters


def reply_text(result: Any) -> str:
    """A CallToolResult as the model reads it: its text, or its structured content."""
    parts = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(str(block.text))
        elif kind == "resource" and getattr(block.resource, "text", None) is not None:
            parts.append(str(block.resource.text))
        else:
            parts.append(f"[{kind or 'unknown'} content not shown]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    text = "\n".join(parts) or "(no content)"
    if len(text) > MAX_REPLY_CHARS:
        text = text[:MAX_REPLY_CHARS] + f"\n[cut: the answer had {len(text)} characters]"
    return f"error: {text}" if getattr(result, "is_error", False) else text


class McpTools:
    """The tools of an agent's running servers, for one run."""

    def __init__(
        self, connections: list[Connection], wait: Callable[[Awaitable[str]], Awaitable[str]]
    ) -> None:
        self._wait = wait  # awaits a call, counting the wait as the run's progress
        self._routes: dict[str, tuple[Connection, str]] = {}
        self._specs: list[dict[str, Any]] = []
        tools = [(c, t) for c in connections for t in c.tools]
        self.left_out = max(0, len(tools) - MAX_TOOLS)
        for connection, tool in tools[:MAX_TOOLS]:
            name = offered_name(connection.spec.name, tool.name, self._routes.__contains__)
            self._routes[name] = (connection, tool.name)
            label = f"{connection.spec.name}.{tool.name}"
            description = f"[{label}] {tool.description or ''}".strip()
            self._specs.append(
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": description[:MAX_DESCRIPTION],
                        "parameters": parameters(tool.input_schema),
                    },
                }
            )

    def specs(self) -> list[dict[str, Any]]:
        return self._specs

    def offers(self, name: str) -> bool:
        return name in self._routes

    def label(self, name: str) -> str:
        """`fs.read_file` for `fs__read_file`; other names as they are."""
        route = self._routes.get(name)
        return f"{route[0].spec.name}.{route[1]}" if route else name

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        connection, tool = self._routes[name]
        return await self._wait(connection.call(tool, arguments))
