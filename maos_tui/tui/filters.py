"""The board filter typed after `/`: words match ID or title, `@agent` an assignee,
`status:name` a status, `p0`…`p3` a priority and `blocked` blocked tasks. All must match.

The same query narrows the activity feed: `@agent` to that actor, a task ID to that task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from maos_tui.domain import (
    ActivityRecord,
    DomainError,
    TaskMatch,
    TaskRecord,
    TaskStatus,
    parse_status,
)

_PRIORITY = re.compile(r"[pP]([0-3])")
_TASK_ID = re.compile(r"TASK-\d{3,}", re.IGNORECASE)


@dataclass(frozen=True)
class BoardFilter:
    text: str = ""
    words: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    statuses: tuple[TaskStatus, ...] = ()
    priorities: tuple[int, ...] = ()
    blocked: bool = False
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def active(self) -> bool:
        return bool(self.text.strip())

    def match(self) -> TaskMatch:
        """The part the store applies in SQL (statuses pick the columns instead)."""
        return TaskMatch(self.words, self.agents, self.priorities, self.blocked)

    def matches(self, task: TaskRecord) -> bool:
        haystack = f"{task.id} {task.title}".lower()
        return (
            all(word in haystack for word in self.words)
            and all(agent in task.assignees for agent in self.agents)
            and (not self.statuses or task.status in self.statuses)
            and (not self.priorities or task.priority in self.priorities)
            and (not self.blocked or task.blocked)
        )

    def matches_activity(self, activity: ActivityRecord) -> bool:
        task_ids = [w.upper() for w in self.words if _TASK_ID.fullmatch(w)]
        if task_ids and activity.task_id not in task_ids:
            return False
        agent_of = {activity.actor, str(activity.details.get("target", ""))}
        return not self.agents or any(a in agent_of for a in self.agents)


def parse_filter(text: str) -> BoardFilter:
    words: list[str] = []
    agents: list[str] = []
    statuses: list[TaskStatus] = []
    priorities: list[int] = []
    problems: list[str] = []
    blocked = False
    for token in text.split():
        if token.startswith("@") and len(token) > 1:
            agents.append(token[1:])
        elif token.lower().startswith("status:"):
            try:
                statuses.append(parse_status(token.split(":", 1)[1]))
            except DomainError as exc:
                problems.append(str(exc))
        elif match := _PRIORITY.fullmatch(token):
            priorities.append(int(match.group(1)))
        elif token.lower() == "blocked":
            blocked = True
        else:
            words.append(token.lower())
    return BoardFilter(
        text=text,
        words=tuple(words),
        agents=tuple(agents),
        statuses=tuple(statuses),
        priorities=tuple(priorities),
        blocked=blocked,
        problems=tuple(problems),
    )
