"""An alert (one thing that needs the person) and a message (what a channel sends)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    QUESTION = "question"
    PARKED = "parked"
    FAILED = "failed"
    REVIEW = "review"
    BUDGET = "budget"
    OFFLINE = "offline"
    TEST = "test"


# What the person is asked to do: a second alert with the same need for a task already
# alerted adds nothing (an agent's question, then its run parking the task for the answer).
NEEDS = {Kind.QUESTION: "answer", Kind.PARKED: "answer"}
# ntfy's scale, 1 (min) to 5 (max); gotify's is twice it.
PRIORITY = {Kind.OFFLINE: 5, Kind.BUDGET: 5, Kind.TEST: 3}
DEFAULT_PRIORITY = 4


@dataclass(frozen=True, slots=True)
class Alert:
    """`key` names the alert once and for all: an alert whose key was sent is not sent
    again. `source` is the Activity it came from (0 for a state, like a budget)."""

    key: str
    kind: Kind
    text: str
    task_id: str | None = None
    source: int = 0

    @property
    def need(self) -> str:
        return NEEDS.get(self.kind, self.kind.value)

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "task_id": self.task_id,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery: a single alert, or a digest of several."""

    title: str
    body: str
    alerts: tuple[Alert, ...]
    priority: int = DEFAULT_PRIORITY

    @classmethod
    def of(cls, alerts: list[Alert], workspace: str = "") -> Message:
        where = f" ({workspace})" if workspace else ""
        priority = max(PRIORITY.get(a.kind, DEFAULT_PRIORITY) for a in alerts)
        if len(alerts) == 1:
            alert = alerts[0]
            return cls(f"maos-tui{where}: {_headline(alert)}", alert.text, (alert,), priority)
        body = "\n".join(f"- {a.text}" for a in alerts)
        title = f"maos-tui{where}: {len(alerts)} things need you"
        return cls(title, body, tuple(alerts), priority)

    @property
    def task_id(self) -> str | None:
        tasks = {a.task_id for a in self.alerts}
        return tasks.pop() if len(tasks) == 1 else None

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "message": self.body,
            "priority": self.priority,
            "digest": len(self.alerts) > 1,
            "alerts": [a.to_json() for a in self.alerts],
        }


_HEADLINES = {
    Kind.QUESTION: "a question for you",
    Kind.PARKED: "waiting for your answer",
    Kind.FAILED: "failed",
    Kind.REVIEW: "waiting for your review",
    Kind.BUDGET: "budget reached",
    Kind.OFFLINE: "every agent is offline",
    Kind.TEST: "test alert",
}


def _headline(alert: Alert) -> str:
    headline = _HEADLINES[alert.kind]
    return f"{alert.task_id} {headline}" if alert.task_id else headline
