"""Pure domain rules: enums, validation, IDs, the status graph, dependency cycles.

Nothing here touches the disk, the database, Textual or litellm, so every rule can be
used (and tested) from the store, the CLI, the scheduler and the WORKING.md parser alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from maos_tui.task_branch import TaskBranch

HUMAN = "human"
TITLE_MAX = 200
PRIORITY_MIN, PRIORITY_MAX, PRIORITY_DEFAULT = 0, 3, 2
DEFAULT_MAX_RETRIES = 3
DEFAULT_TIMEOUT_SECONDS = 900
DEFAULT_HEARTBEAT_SECONDS = 30
DEFAULT_MAX_CONCURRENT = 1


_E = TypeVar("_E", bound=StrEnum)


class DomainError(ValueError):
    """A rule was broken; the message is shown to the user as `error: <message>`."""


class TaskStatus(StrEnum):
    INBOX = "inbox"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


BOARD_STATUSES = (
    TaskStatus.INBOX,
    TaskStatus.ASSIGNED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.REVIEW,
    TaskStatus.DONE,
)
FINAL_STATUSES = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED})


class AgentStatus(StrEnum):
    IDLE = "idle"
    ACTIVE = "active"
    BLOCKED = "blocked"
    OFFLINE = "offline"
    PAUSED = "paused"


class AgentKind(StrEnum):
    LLM = "llm"
    COMMAND = "command"


def parse_enum(kind: type[_E], text: str, what: str) -> _E:
    """Accept `In-Progress`, `in_progress`, `IN PROGRESS`... as the same member."""
    key = re.sub(r"[-\s]+", "_", text.strip()).lower()
    try:
        return kind(key)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise DomainError(f"unknown {what} {text!r} (expected one of: {names})") from None


def parse_status(text: str) -> TaskStatus:
    return parse_enum(TaskStatus, text, "status")


def parse_agent_status(text: str) -> AgentStatus:
    try:
        return AgentStatus(text.strip().lower())
    except ValueError:
        raise DomainError(f"unknown agent status {text!r}") from None


# The scheduler and agents may only follow these edges; humans may jump anywhere.
_AGENT_EDGES: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.INBOX: frozenset({TaskStatus.ASSIGNED}),
    TaskStatus.ASSIGNED: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.INBOX}),
    TaskStatus.IN_PROGRESS: frozenset(
        {TaskStatus.REVIEW, TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.INBOX}
    ),
    TaskStatus.REVIEW: frozenset({TaskStatus.DONE, TaskStatus.IN_PROGRESS}),
    TaskStatus.DONE: frozenset(),
    TaskStatus.FAILED: frozenset({TaskStatus.INBOX}),
    TaskStatus.CANCELLED: frozenset(),
}


def can_transition(current: TaskStatus, target: TaskStatus, *, human: bool) -> bool:
    if human or target is TaskStatus.CANCELLED:
        return True
    return target in _AGENT_EDGES[current]


def check_transition(current: TaskStatus, target: TaskStatus, *, human: bool) -> None:
    if not can_transition(current, target, human=human):
        raise DomainError(f"cannot move a task from {current.value} to {target.value}")


def validate_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise DomainError("title is empty")
    if "\n" in cleaned or "\r" in cleaned:
        raise DomainError("title must be a single line")
    if len(cleaned) > TITLE_MAX:
        raise DomainError(f"title is {len(cleaned)} characters long (at most {TITLE_MAX})")
    return cleaned


def validate_priority(priority: int | str) -> int:
    try:
        value = int(str(priority).strip().lstrip("pP"))
    except ValueError:
        raise DomainError(f"priority must be a number from 0 to 3, not {priority!r}") from None
    if not PRIORITY_MIN <= value <= PRIORITY_MAX:
        raise DomainError(f"priority must be from 0 to 3, not {value}")
    return value


_AGENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}")
# A scheduler worker's name (`run --worker`): the default is HOST:PID.
WORKER_NAME = _AGENT_NAME


def validate_agent_name(name: str) -> str:
    if not _AGENT_NAME.fullmatch(name):
        raise DomainError(
            f"invalid agent name {name!r}: use letters, digits and : _ . - "
            "(starting with a letter or digit, at most 64 characters)"
        )
    if name == HUMAN:
        raise DomainError("'human' is reserved for people and cannot name an agent")
    return name


_CAPABILITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_capability(cap: str) -> str:
    cleaned = cap.strip().lower()
    if not _CAPABILITY.fullmatch(cleaned):
        raise DomainError(f"invalid capability {cap!r}: use letters, digits and _ . -")
    return cleaned


def validate_label(label: str) -> str:
    cleaned = label.strip()
    if not cleaned or any(ch.isspace() for ch in cleaned) or len(cleaned) > 64:
        raise DomainError(f"invalid label {label!r}: one word of at most 64 characters")
    return cleaned


def validate_positive(name: str, value: int) -> int:
    if value < 1:
        raise DomainError(f"{name} must be at least 1, not {value}")
    return value


TASK_ID_PREFIX = "TASK-"
_TASK_ID = re.compile(r"TASK-(\d+)", re.IGNORECASE)


def format_task_id(number: int) -> str:
    return f"{TASK_ID_PREFIX}{number:03d}"


def parse_task_id(text: str) -> str:
    """Normalise `task-7`, `TASK-007` and `7` to the canonical `TASK-007`."""
    raw = text.strip()
    if raw.isdigit():
        return format_task_id(int(raw))
    match = _TASK_ID.fullmatch(raw)
    if not match:
        raise DomainError(f"invalid task ID {text!r} (expected e.g. TASK-001)")
    return format_task_id(int(match.group(1)))


def task_number(task_id: str) -> int:
    return int(task_id[len(TASK_ID_PREFIX) :])


def find_cycle(
    task_id: str, new_after: Iterable[str], deps_of: Callable[[str], Iterable[str]]
) -> list[str] | None:
    """Return the cycle that `task_id -> new_after` would close, or None.

    `deps_of(x)` gives the existing dependencies of x. The result starts and ends with
    task_id, e.g. ["TASK-003", "TASK-005", "TASK-003"], ready to be named in an error.
    """
    for first in new_after:
        if first == task_id:
            return [task_id, task_id]
        # Depth-first search from each new dependency back to task_id, keeping the path.
        stack: list[tuple[str, list[str]]] = [(first, [task_id, first])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == task_id:
                return path
            if node in seen:
                continue
            seen.add(node)
            for nxt in deps_of(node):
                stack.append((nxt, [*path, nxt]))
    return None


def check_no_cycle(
    task_id: str, new_after: Iterable[str], deps_of: Callable[[str], Iterable[str]]
) -> None:
    cycle = find_cycle(task_id, new_after, deps_of)
    if cycle is not None:
        if len(cycle) == 2:
            raise DomainError(f"{task_id} cannot depend on itself")
        raise DomainError("cycle: " + " -> ".join(cycle))


def utcnow() -> datetime:
    """Every time in maos-tui is aware UTC; the store keeps it as UTC too."""
    return datetime.now(UTC)


def iso_z(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


@dataclass(frozen=True, slots=True)
class TaskMatch:
    """A narrowing of the task list (the board's `/` filter): every word in the ID or
    title, every agent among the assignees, any of the priorities, blocked if asked."""

    words: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A task as read from the store, with its relations resolved."""

    id: str
    title: str
    description: str
    status: TaskStatus
    priority: int
    assignees: tuple[str, ...]
    created_by: str
    parent: str | None
    after: tuple[str, ...]
    needs: tuple[str, ...]
    labels: tuple[str, ...]
    blocked: bool
    archived: bool
    retry_count: int
    max_retries: int
    timeout_seconds: int
    result: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = None
    last_error: str | None = None
    status_reason: str | None = None
    retry_at: datetime | None = None
    review_rounds: int = 0
    branch: TaskBranch | None = None

    @property
    def result_label(self) -> str:
        """`result` holds the output of the last successful attempt. Once the task has
        moved on from it (failed, cancelled, back to work) that is not the task's result."""
        return "result" if self.status in (TaskStatus.DONE, TaskStatus.REVIEW) else "old result"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status.value,
            "priority": self.priority,
            "assignees": list(self.assignees),
            "created_by": self.created_by,
            "parent": self.parent,
            "after": list(self.after),
            "needs": list(self.needs),
            "labels": list(self.labels),
            "blocked": self.blocked,
            "archived": self.archived,
            "retry_count": self.retry_count,
            "max_retries": self.max_retries,
            "retry_at": iso_z(self.retry_at),
            "last_error": self.last_error,
            "status_reason": self.status_reason,
            "review_rounds": self.review_rounds,
            "timeout_seconds": self.timeout_seconds,
            "result": self.result,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
            "branch": self.branch.to_json() if self.branch else None,
        }


@dataclass(frozen=True, slots=True)
class AgentRecord:
    name: str
    role: str
    kind: AgentKind
    model: str | None
    command: tuple[str, ...] | None
    capabilities: tuple[str, ...]
    status: AgentStatus
    heartbeat_seconds: int
    max_concurrent: int
    last_heartbeat: datetime | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    system_prompt: str = ""
    api_base: str | None = None
    shell: bool = False
    status_reason: str | None = None
    budget_usd: float | None = None
    budget_tokens: int | None = None
    source: str = "cli"
    last_assigned_at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind.value,
            "model": self.model,
            "command": list(self.command) if self.command is not None else None,
            "capabilities": list(self.capabilities),
            "status": self.status.value,
            "heartbeat_seconds": self.heartbeat_seconds,
            "max_concurrent": self.max_concurrent,
            "last_heartbeat": iso_z(self.last_heartbeat),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: int
    created_at: datetime
    actor: str
    verb: str
    task_id: str | None
    details: dict[str, object] = field(default_factory=dict)

    def summary(self) -> str:
        """`actor verb target`, the line shown in feeds and in WORKING.md."""
        target = self.task_id or str(self.details.get("target", ""))
        return f"{self.actor} {self.verb} {target}".rstrip()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "time": iso_z(self.created_at),
            "actor": self.actor,
            "verb": self.verb,
            "task_id": self.task_id,
            "details": self.details,
        }
