"""A scheduler worker as the store lists it; importable without SQLAlchemy (the status
command and the board's first paint read workers on the stdlib path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> WorkerRecord:
        return cls(**{name: row[name] for name in cls.__slots__})

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
        }


def live_count(workers: list[WorkerRecord], now: datetime) -> int:
    return sum(1 for worker in workers if worker.live(now))
