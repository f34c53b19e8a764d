"""What the insights screen and `maos-tui insights` show: the records the store's insights
view (store/insights_views.py) fills, and the `--since` window. No I/O, no SQLAlchemy: the
TUI and the CLI import this without the store's toolkits.

Definitions (the README's Insights section says the same to the user):
- throughput: tasks completed per UTC day (their `completed` Activity);
- wait: from the moment a run could have started (the end of the task's previous run, or
  the task's creation for its first run) to its start;
- run / review: a finished run's length, review runs apart from the others;
- median and p90 are nearest-rank: values that were actually observed, over the window's
  newest 10,000 runs at most (store/insights_views.py TIMED_RUNS);
- an agent's retries: its work runs on a task after its first one there;
- tool calls: the `[tool]` lines of a run's kept output (its last 64 KB).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from maos_tui.domain import DomainError, iso_z

DEFAULT_SINCE = "14d"
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}  # fmt: skip
_SINCE = re.compile(r"([0-9]{1,5})([mhdw])")
# What a run's log line starts with when an LLM agent called a tool (agents/llm.py).
TOOL_LINE = "[tool] "


def parse_since(text: str) -> timedelta:
    """`7d`, `12h`, `2w`, `90m`: how far back the figures look."""
    found = _SINCE.fullmatch(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise DomainError(
            f"not a window: {text!r} (a positive number and a unit m, h, d or w, like 7d)"
        )
    return int(found.group(1)) * _UNITS[found.group(2)]


@dataclass(frozen=True, slots=True)
class Spread:
    """How long something took, in seconds, over `count` cases (None without any)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class AgentInsight:
    agent: str
    runs: int  # finished work runs
    succeeded: int  # of those, the ones that ended `done`
    tasks_done: int  # tasks it worked on that are done now
    cost_usd: float  # all its runs, reviews included
    retries: int
    review_rounds: int  # "changes requested" rounds on the tasks it worked on

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.runs if self.runs else None

    @property
    def cost_per_done(self) -> float | None:
        return self.cost_usd / self.tasks_done if self.tasks_done else None

    def to_json(self) -> dict[str, object]:
        return {
            **asdict(self),
            "success_rate": self.success_rate,
            "cost_per_task_done": self.cost_per_done,
        }


@dataclass(frozen=True, slots=True)
class CostlyTask:
    """A task and why it cost what it did (its runs within the window)."""

    task_id: str
    title: str
    status: str
    cost_usd: float
    runs: int
    retries: int
    review_rounds: int
    tokens_in: int
    tokens_out: int
    tool_calls: int

    def why(self) -> str:
        parts = [f"{self.runs} run{'s' * (self.runs != 1)}"]
        if self.retries:
            parts.append(f"{self.retries} retr{'ies' if self.retries != 1 else 'y'}")
        if self.review_rounds:
            parts.append(f"{self.review_rounds} review round{'s' * (self.review_rounds != 1)}")
        parts.append(f"{tokens(self.tokens_in + self.tokens_out)} tokens")
        parts.append(f"{self.tool_calls} tool call{'s' * (self.tool_calls != 1)}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Insights:
    since: datetime
    until: datetime
    throughput: list[tuple[str, int]]  # (YYYY-MM-DD, tasks completed), every day in the window
    waits: Spread
    runs: Spread
    reviews: Spread
    agents: list[AgentInsight]  # most costly first
    costliest: list[CostlyTask]

    @property
    def completed(self) -> int:
        return sum(count for _, count in self.throughput)

    @property
    def cost_usd(self) -> float:
        return sum((a.cost_usd for a in self.agents), 0.0)

    def to_json(self) -> dict[str, object]:
        return {
            "since": iso_z(self.since),
            "until": iso_z(self.until),
            "completed": self.completed,
            "cost_usd": self.cost_usd,
            "throughput": [{"day": day, "completed": n} for day, n in self.throughput],
            "seconds": {
                "wait": asdict(self.waits),
                "run": asdict(self.runs),
                "review": asdict(self.reviews),
            },
            "agents": [a.to_json() for a in self.agents],
            "costliest": [t.to_json() for t in self.costliest],
        }


@dataclass(frozen=True, slots=True)
class RunCost:
    """One run of a task, with the tool calls its kept output shows."""

    id: int
    agent: str
    kind: str
    started_at: datetime
    seconds: float | None  # None while it runs
    outcome: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    tool_calls: list[str]

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "started_at": iso_z(self.started_at)}


@dataclass(frozen=True, slots=True)
class TaskCost:
    task_id: str
    title: str
    runs: list[RunCost]

    @property
    def cost_usd(self) -> float:
        return sum((r.cost_usd for r in self.runs), 0.0)


def tool_calls_in(log: str) -> list[str]:
    """The tool lines of a run's output, without their marker."""
    return [line[len(TOOL_LINE) :] for line in log.splitlines() if line.startswith(TOOL_LINE)]


def tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}k"
    return str(count)


def duration(seconds: float | None) -> str:
    """`42s`, `3m 05s`, `2h 10m`, `1d 4h`, or `—` when there is none."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600}h"


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"
