"""A scheduler worker as the store lists it; importable without SQLAlchemy (the status
command and the board's first paint read workers on the stdlib path)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from maos_tui.domain import iso_z


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    name: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
    # The agents this worker cannot run: agent name -> what its machine lacks
    # ("program claude on PATH", "OPENAI_API_KEY").
    cannot_run: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> WorkerRecord:
        fields = {name: row[name] for name in cls.__slots__}
        fields["cannot_run"] = json.loads(row["cannot_run"] or "{}")
        return cls(**fields)

    def live(self, now: datetime) -> bool:
        """Heartbeating: its last heartbeat is less than three intervals old."""
        return self.expires_at > now

    def age(self, now: datetime) -> float:
        """Seconds since its last heartbeat."""
        return max(0.0, (now - self.heartbeat_at).total_seconds())

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "started_at": iso_z(self.started_at),
            "heartbeat_at": iso_z(self.heartbeat_at),
            "heartbeat_age_seconds": round(self.age(now), 1),
            "live": self.live(now),
            "cannot_run": dict(self.cannot_run),
        }

    def cannot_run_line(self) -> str:
        """`cannot run coder (no program claude on PATH)`, or "" when it runs them all."""
        if not self.cannot_run:
            return ""
        agents = ", ".join(
            f"{agent} (no {lacks})" for agent, lacks in sorted(self.cannot_run.items())
        )
        return f"cannot run {agents}"


def can_run_anywhere(workers: list[WorkerRecord], agent: str, now: datetime) -> bool:
    """Whether some live worker can run the agent."""
    return any(w.live(now) and agent not in w.cannot_run for w in workers)


def live_count(workers: list[WorkerRecord], now: datetime) -> int:
    return sum(1 for worker in workers if worker.live(now))
