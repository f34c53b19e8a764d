"""Store writes a key has already drawn, saved in the background one at a time, in key
order: a move is drawn before its write commits, and two moves of one card must commit
in the order they were pressed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class WriteQueue:
    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        """`on_error` gets what a write raised (a bug: refused writes are reported by the
        write itself, see tui/attempt.py)."""
        self._on_error = on_error
        # The last write queued. Plain tasks, not workers: Textual cancels those as the
        # app closes, before MaosApp.on_unmount waits for the writes.
        self._last: asyncio.Task[None] | None = None

    def later(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run `write` in the background, once the writes queued before it have run."""
        previous = self._last

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await write()

        self._last = asyncio.create_task(in_turn())
        self._last.add_done_callback(self._done)

    def _done(self, saving: asyncio.Task[None]) -> None:
        if not saving.cancelled() and (error := saving.exception()) is not None:
            self._on_error(error)

    async def settle(self) -> None:
        """Wait until every write queued so far has run."""
        while (last := self._last) is not None and not last.done():
            await asyncio.wait([last])
