"""Which Activities need the person, as Alerts.

- a question to @human (a `mentioned` Activity naming the human), or a task parked for
  an answer (`asked human`);
- a task failed for good: moved to failed by an agent or the scheduler once its retries
  were used up (a person failing a task knows);
- a task entering review when no agent but its author can review (capability `review`,
  as the scheduler's planner has it): the person is the reviewer;
- a budget reached: an agent paused for it, or the workspace's (a state, no Activity);
- every agent offline: an agent went offline and none is left that could work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from maos_tui.alerts.model import Alert, Kind
from maos_tui.domain import HUMAN, ActivityRecord, AgentRecord, AgentStatus, TaskStatus
from maos_tui.scheduler.planner import REVIEW_CAPABILITY

_OFFLINE_VERBS = frozenset({"set agent offline", "marked agent offline"})


class Lookup(Protocol):
    async def question_text(self, task_id: str, message_id: int | None) -> str | None: ...

    async def title(self, task_id: str) -> str: ...

    async def agents(self) -> list[AgentRecord]: ...


async def alerts_for(activities: Sequence[ActivityRecord], lookup: Lookup) -> list[Alert]:
    found: list[Alert] = []
    for activity in activities:
        alert = await _alert_for(activity, lookup)
        if alert is not None:
            found.append(alert)
    # The agents are read as they are now: of several agents going offline in one pass,
    # each would find them all offline. The last one is what left none.
    offline = [a for a in found if a.kind is Kind.OFFLINE]
    return [a for a in found if a.kind is not Kind.OFFLINE or a is offline[-1]]


async def _alert_for(activity: ActivityRecord, lookup: Lookup) -> Alert | None:
    verb, task_id, details = activity.verb, activity.task_id, activity.details
    key = f"activity:{activity.id}"
    if activity.actor == HUMAN:
        return None
    if verb == "mentioned" and task_id and HUMAN in (details.get("recipients") or []):
        message_id = details.get("message_id")
        text = await lookup.question_text(
            task_id, message_id if isinstance(message_id, int) else None
        )
        text = text or f"{activity.actor} asked you on {task_id}"
        return Alert(key, Kind.QUESTION, text, task_id, activity.id)
    if verb == "asked human" and task_id:
        text = f"{task_id} {await lookup.title(task_id)}: @{activity.actor} waits for your answer"
        return Alert(key, Kind.PARKED, text, task_id, activity.id)
    if verb == "failed" and task_id:
        reason = details.get("reason") or "no reason given"
        text = f"{task_id} {await lookup.title(task_id)} failed: {reason}"
        return Alert(key, Kind.FAILED, text, task_id, activity.id)
    if verb == "moved" and task_id and details.get("to") == TaskStatus.REVIEW.value:
        reviewers = [
            a.name
            for a in await lookup.agents()
            if REVIEW_CAPABILITY in a.capabilities and a.name != activity.actor
        ]
        if reviewers:
            return None
        text = f"{task_id} {await lookup.title(task_id)} is waiting for your review"
        return Alert(key, Kind.REVIEW, text, task_id, activity.id)
    reason = str(details.get("reason") or "")
    if verb == "set agent paused" and reason.startswith("budget reached"):
        text = f"agent {details.get('target', activity.actor)} paused: {reason}"
        return Alert(key, Kind.BUDGET, text, None, activity.id)
    if verb in _OFFLINE_VERBS:
        return await _all_offline(key, activity, lookup)
    return None


async def _all_offline(key: str, activity: ActivityRecord, lookup: Lookup) -> Alert | None:
    agents = [a for a in await lookup.agents() if a.status is not AgentStatus.PAUSED]
    if not agents or any(a.status is not AgentStatus.OFFLINE for a in agents):
        return None
    last = f"{activity.details.get('target', '')}: {activity.details.get('reason', '')}"
    text = f"every agent is offline; no task can run (last: {last.strip(': ')})"
    return Alert(key, Kind.OFFLINE, text, None, activity.id)


def budget_alert(reason: str | None) -> Alert | None:
    """The workspace's budget, reached: a state the scheduler tells (Scheduler.reason).
    Keyed by its limit (the words after "of"), so raising the budget alerts again."""
    if not reason or "budget reached" not in reason:
        return None
    limit = reason.rpartition(" of ")[2]
    return Alert(f"budget:workspace:{limit}", Kind.BUDGET, f"{reason}; no new run starts")
