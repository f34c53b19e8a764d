"""Waiting for a Textual app to finish what a key caused, without Pilot's waits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Pumps:
    """Waits until the app has taken the key and handled every message it caused.

    A pump counts as busy from taking a message off its queue until it asks for the next
    one: the handler, the idle handlers and the callbacks run after it. A key whose action
    awaits the store leaves every queue empty while it waits, yet its redraw is still to
    come. (Pilot's wait_for_screen was used before: it posts a callback to each of the
    screen's ~60 widgets and waits for them all, ~10 ms of work per key that a real key
    press never does, so it was timed as part of every key.)"""

    def __init__(self) -> None:
        self.busy: set[Any] = set()
        self.expected: object | None = None
        self.changed: asyncio.Event | None = None

    @contextmanager
    def tracking(self) -> Iterator[None]:
        """Install before the app starts: a pump already waiting for its next message
        would take it unseen."""
        from textual.message_pump import MessagePump

        original = MessagePump._get_message
        changed = self.changed = asyncio.Event()

        async def get_message(pump: Any) -> Any:
            self.busy.discard(pump)
            changed.set()
            message = await original(pump)
            self.busy.add(pump)
            if message is self.expected:
                self.expected = None
            changed.set()
            return message

        MessagePump._get_message = get_message  # type: ignore[method-assign]
        try:
            yield
        finally:
            MessagePump._get_message = original  # type: ignore[method-assign]

    def _quiet(self, app: Any) -> bool:
        if self.expected is not None or any(not pump._closed for pump in self.busy):
            return False
        nodes = [app, *app.screen.walk_children(with_self=True)]
        return all(node._message_queue.empty() for node in nodes)

    async def settled(self, app: Any) -> None:
        changed = self.changed
        assert changed is not None, "settled() outside tracking()"
        while True:
            while not self._quiet(app):
                changed.clear()
                await changed.wait()
            # A task the last handler woke may not have run yet.
            await asyncio.sleep(0)
            if self._quiet(app):
                return
