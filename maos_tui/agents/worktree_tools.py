"""An LLM agent's file tools in its task's worktree (maos_tui/worktrees/toolbox.py), offered
only when the run has one: all of them to a work run, the reading ones to a reviewer, none
to a reply run (it only talks)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui.worktrees import WorktreeToolbox

if TYPE_CHECKING:
    from maos_tui.agents.base import Job

_READING = ("list_files", "read_file", "search")


class WorktreeTools:
    def __init__(self, job: Job) -> None:
        assert job.cwd is not None
        allowed = job.config.workspace_settings().allowed_commands if job.kind == "work" else []
        # Confined to the whole worktree, also when the agent starts in a subfolder of it.
        root = Path(job.extra_env.get("MAOS_WORKTREE", job.cwd))
        self.box = WorktreeToolbox(root, allowed, env={**os.environ, **job.extra_env})
        offered = self.box.specs()
        if job.kind == "review":
            offered = [spec for spec in offered if spec.name in _READING]
        self._specs = {spec.name: spec for spec in offered}

    @classmethod
    def for_job(cls, job: Job) -> WorktreeTools | None:
        return cls(job) if job.cwd is not None and job.kind != "reply" else None

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    def specs(self) -> list[dict[str, Any]]:
        return [
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": {
                        "type": "object",
                        "properties": spec.properties,
                        "required": spec.required,
                    },
                },
            }
            for spec in self._specs.values()
        ]

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        """The tool's reply for the model, an `error: ...` it can fix included."""
        return await asyncio.to_thread(self.box.call, name, arguments)
