"""Which runnable task goes to which agent: pure, so the rules are testable without I/O.

A task is runnable in inbox or assigned (and in_progress when a review sent it back, or a
human moved it there), when it is not blocked, archived, already running or waiting out a
retry backoff. Tasks in review need a reviewer instead: an agent with the `review`
capability that is not the task's author.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from maos_tui.domain import AgentRecord, AgentStatus, TaskRecord, TaskStatus

REVIEW_CAPABILITY = "review"
WORK_STATUSES = frozenset({TaskStatus.INBOX, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS})
_UNAVAILABLE = frozenset({AgentStatus.PAUSED, AgentStatus.OFFLINE})
_EPOCH = datetime.min.replace(tzinfo=UTC)
# Identity tests: `in WORK_STATUSES` hashes the enum in Python, once per queued task.
_INBOX, _ASSIGNED, _IN_PROGRESS = TaskStatus.INBOX, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS
# What decides a task's candidates: ("review", (author,), ()) or ("work", assignees, needs).
_Key = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Placement:
    task: TaskRecord
    agent: AgentRecord
    kind: str  # "work" or "review"


@dataclass
class Plan:
    placements: list[Placement] = field(default_factory=list)
    # Why a task that could run did not start; shown on its card.
    reasons: dict[str, str] = field(default_factory=dict)
    # Tasks waiting for a free agent or parallel slot, and tasks waiting out a retry backoff.
    waiting: set[str] = field(default_factory=set)
    retrying: set[str] = field(default_factory=set)


def plan(
    tasks: Iterable[TaskRecord],
    agents: Iterable[AgentRecord],
    *,
    load: Mapping[str, int],
    running: set[str],
    authors: Mapping[str, str],
    free_slots: int,
    now: datetime,
) -> Plan:
    """Place tasks (already ordered by priority, then age) on agents.

    `load` is the number of runs each agent has now, `running` the IDs of tasks with a run,
    `authors` the agent that did the work of each task in review.
    """
    result = Plan()
    roster = list(agents)
    load = dict(load)
    last = {a.name: a.last_assigned_at or _EPOCH for a in roster}
    # Tasks asking for the same agents have the same candidates: worked out once a pass,
    # since thousands of queued tasks are scanned on every pass.
    candidates: dict[_Key, tuple[list[AgentRecord], str]] = {}
    for task in tasks:
        if task.id in running or task.archived or task.blocked:
            continue
        if task.retry_at is not None and _aware(task.retry_at) > now:
            result.retrying.add(task.id)
            continue
        status = task.status
        if status is TaskStatus.REVIEW:
            if task.branch is not None and task.branch.approved_by:
                continue  # approved: merged by the person (or auto_merge), not reviewed again
            kind = "review"
            key: _Key = (kind, (authors.get(task.id, ""),), ())
        elif status is _INBOX or status is _ASSIGNED or status is _IN_PROGRESS:
            kind = "work"
            key = (kind, task.assignees, task.needs)
        else:
            continue
        found = candidates.get(key)
        if found is None:
            found = candidates[key] = _candidates(key, roster)
        ready, missing = found
        if not ready:
            result.reasons[task.id] = missing
            continue
        # With no slot left, the rest only waits: no need to look at the agents' load.
        free = (
            [a for a in ready if load.get(a.name, 0) < a.max_concurrent] if free_slots > 0 else []
        )
        if not free:
            result.waiting.add(task.id)
            continue
        agent = min(free, key=lambda a: (load.get(a.name, 0), last[a.name], a.name))
        load[agent.name] = load.get(agent.name, 0) + 1
        last[agent.name] = now
        free_slots -= 1
        result.placements.append(Placement(task, agent, kind))
    return result


def _candidates(key: _Key, roster: list[AgentRecord]) -> tuple[list[AgentRecord], str]:
    """The available agents for tasks of this key, and why they wait when there are none."""
    kind, names, needs = key
    if kind == "review":
        fits = [a for a in roster if REVIEW_CAPABILITY in a.capabilities and a.name != names[0]]
        missing = "waiting for your review: no reviewer agent other than the author"
    elif names:
        fits = [a for a in roster if a.name in names]
        missing = f"assignee {', '.join(names)} is not available"
    else:
        wanted = set(needs)
        fits = [a for a in roster if wanted <= set(a.capabilities)]
        missing = f"no agent with capability: {', '.join(sorted(wanted))}" if needs else "no agents"
    ready = [a for a in fits if a.status not in _UNAVAILABLE]
    return ready, _unavailable_reason(fits, missing)


def _unavailable_reason(fits: list[AgentRecord], missing: str) -> str:
    if not fits:
        return missing
    states = ", ".join(
        f"{a.name} is {a.status.value}" + (f" ({a.status_reason})" if a.status_reason else "")
        for a in fits
    )
    return f"waiting: {states}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
