"""The file tools of one worktree as an LLM sees them: their JSON schemas and one `call`
that returns a string, an error included (`error: ...`), never raising for bad arguments.
The agent layer turns the specs into its model's tool format."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maos_tui.worktrees.change_tools import (
    COMMAND_OUTPUT_CAP,
    COMMAND_TIMEOUT,
    apply_patch,
    run_command,
)
from maos_tui.worktrees.create import Worktree
from maos_tui.worktrees.errors import WorktreeError
from maos_tui.worktrees.files_tools import list_files, read_file, search, write_file


@dataclass(frozen=True)
class ToolSpec:
    """One tool's name, description and JSON-schema parameters, in the order of the agent
    layer's `_tool(name, description, properties, required)`, which wraps it for the model."""

    name: str
    description: str
    properties: dict[str, Any]
    required: list[str]


def _schema(name: str, doc: str, required: list[str], **props: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name, doc, props, required)


_STR = {"type": "string"}
_PATH = {"type": "string", "description": "relative to the worktree root, e.g. 'src/app.py'"}
_GLOB = {"type": "string", "description": "e.g. '*.py' (any depth) or 'src/**/*.ts'"}
_SPECS = [
    _schema(
        "list_files", "List files (tracked or new) in the worktree.", [], path=_PATH, glob=_GLOB
    ),
    _schema(
        "read_file",
        "Read a file; each line is prefixed with its number and a tab.",
        ["path"],
        path=_PATH,
        start={"type": "integer", "description": "first line, from 1"},
        end={"type": "integer", "description": "last line, inclusive"},
    ),
    _schema(
        "search",
        "Search tracked files with a Perl-style regex; prints path:line:text.",
        ["regex"],
        regex=_STR,
        glob=_GLOB,
    ),
    _schema(
        "write_file", "Create or replace a file.", ["path", "content"], path=_PATH, content=_STR
    ),
    _schema(
        "apply_patch",
        "Apply a unified diff (as `git diff` prints it) to the worktree, all or nothing.",
        ["unified_diff"],
        unified_diff=_STR,
    ),
]


@dataclass
class WorktreeToolbox:
    """The tools of one task's worktree; offer them only when the task has one."""

    root: Path
    allowed_commands: Sequence[Sequence[str]] = ()
    command_timeout: float = COMMAND_TIMEOUT
    output_cap: int = COMMAND_OUTPUT_CAP
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def for_worktree(
        cls,
        worktree: Worktree,
        allowed_commands: Sequence[Sequence[str]] = (),
        *,
        env: Mapping[str, str] | None = None,
        command_timeout: float = COMMAND_TIMEOUT,
        output_cap: int = COMMAND_OUTPUT_CAP,
    ) -> WorktreeToolbox:
        """The toolbox of a task's worktree; commands see `env` (default: ours) plus the
        MAOS_* variables a command agent gets."""
        full_env = {**(os.environ if env is None else env), **worktree.agent_env()}
        return cls(worktree.path, allowed_commands, command_timeout, output_cap, full_env)

    def specs(self) -> list[ToolSpec]:
        """The tools offered; run_command only when some command is allowed."""
        if not self.allowed_commands:
            return list(_SPECS)
        prefixes = "; ".join(" ".join(p) for p in self.allowed_commands)
        argv = {"type": "array", "items": {"type": "string"}, "description": "no shell"}
        run = _schema(
            "run_command",
            f"Run a command in the worktree. argv must start with one of: {prefixes}.",
            ["argv"],
            argv=argv,
        )
        return [*_SPECS, run]

    def call(self, name: str, arguments: Mapping[str, Any]) -> str:
        tools: dict[str, Callable[..., str]] = {
            "list_files": lambda **a: list_files(self.root, **a),
            "read_file": lambda **a: read_file(self.root, **a),
            "search": lambda **a: search(self.root, **a),
            "write_file": lambda **a: write_file(self.root, **a),
            "apply_patch": lambda **a: apply_patch(self.root, **a),
            "run_command": lambda argv: run_command(
                self.root,
                argv,
                allowed_commands=self.allowed_commands,
                timeout=self.command_timeout,
                cap=self.output_cap,
                env=self.env,
            ),
        }
        specs = {spec.name: spec for spec in self.specs()}
        if name not in specs:
            return f"error: no tool named {name!r}; the tools are {', '.join(specs)}"
        if not isinstance(arguments, Mapping):
            return f"error: {name} takes an object of arguments"
        unknown = sorted(set(arguments) - set(specs[name].properties))
        missing = [key for key in specs[name].required if key not in arguments]
        if unknown or missing:
            wrong = [f"unknown argument {k!r}" for k in unknown]
            wrong += [f"missing argument {k!r}" for k in missing]
            return f"error: {name}: {', '.join(wrong)}"
        try:
            return tools[name](**dict(arguments))
        except WorktreeError as exc:
            return f"error: {exc}"
