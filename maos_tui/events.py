"""In-process event bus. The store publishes after each commit; the UI, the scheduler and the
WORKING.md sync subscribe. Handlers run synchronously and must be cheap (set a flag, put on
a queue): a slow subscriber would otherwise hold up every writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from maos_tui.domain import ActivityRecord

log = logging.getLogger(__name__)

# The topic of the events the store's change feed publishes for other processes' commits
# (store/feed.py): they name no task, and carry no Activity; `changes` may say what changed.
OUTSIDE = "outside"

# (topic, task ID) of each change an outside commit made, as its own events named them.
Changes = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Event:
    """One committed change. `topic` is what changed: task, agent, run, message, document..."""

    topic: str
    activity: ActivityRecord | None = None
    task_id: str | None = None
    agent: str | None = None
    # An OUTSIDE event's commit, when the feed was told (PostgreSQL); None: not known.
    changes: Changes | None = None


Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    def publish(self, events: list[Event]) -> None:
        for event in events:
            for handler in tuple(self._handlers):
                try:
                    handler(event)
                except Exception:
                    # A broken subscriber must not undo a committed change or starve the others.
                    log.exception("event handler %r failed", handler)
