"""The contract between the scheduler and a runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from maos_tui.domain import AgentRecord, TaskRecord

if TYPE_CHECKING:
    from maos_tui.config import Config, SchedulerSettings
    from maos_tui.store import Store


class Outcome(StrEnum):
    DONE = "done"  # work finished, or a review approved
    FAILED = "failed"
    CHANGES = "changes"  # a reviewer requested changes
    WAITING = "waiting"  # the agent asked the human a question; the task waits for the answer


@dataclass(frozen=True, slots=True)
class RunResult:
    outcome: Outcome
    text: str  # the summary, the failure reason or the requested changes

    @classmethod
    def done(cls, summary: str) -> RunResult:
        return cls(Outcome.DONE, summary)

    @classmethod
    def failed(cls, reason: str) -> RunResult:
        return cls(Outcome.FAILED, reason)


@dataclass(frozen=True)
class Job:
    """Everything a runner needs for one run."""

    run_id: int
    kind: str  # work | review | reply
    task: TaskRecord
    agent: AgentRecord
    workspace: Path
    context: dict[str, Any]  # see agents.context.gather
    settings: SchedulerSettings
    config: Config
    store: Store
    db_url: str | None = None  # passed to command agents when not the workspace default
    extra_env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # the task's worktree, when it has one; else the workspace


class RunHooks(Protocol):
    """How a runner reports back while it works. Each call counts as progress."""

    async def output(self, text: str) -> None: ...

    async def usage(self, tokens_in: int, tokens_out: int, cost_usd: float) -> None: ...

    def progress(self) -> None: ...


class Runner(Protocol):
    async def run(self, job: Job, hooks: RunHooks) -> RunResult:
        """Do the work; cancellation must stop everything the run started."""
        ...


RunnerFactory = Callable[[AgentRecord], Runner]
