"""A database that goes away and comes back, as the app shows and survives it.

A PostgreSQL server that stops, restarts or drops off the network makes every store call
fail with DatabaseUnavailableError until it returns. Meanwhile the board keeps what it
last read, a line under the header says "database unavailable, retrying" (widgets/
db_banner.py), and a move drawn on the board waits to be saved: it is retried until the
database is back, or reported as not saved and put back once the outage has lasted
WAIT_SECONDS (or the app closes). The store's change feed reconnects by itself
(store/feed.py); the app's next successful read or write ends the outage, reloads the
board and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import TYPE_CHECKING

from maos_tui.events import OUTSIDE, Event
from maos_tui.store import DatabaseUnavailableError

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from maos_tui.tui.app import MaosApp

# How far into an outage a change still waits to be saved; later ones are refused at once.
WAIT_SECONDS = 30.0
# How often the board's read, and a change waiting to be saved, try again meanwhile.
RETRY_SECONDS = 1.0


class DbStatus:
    def __init__(self, app: MaosApp) -> None:
        self._app = app
        self.cause: DatabaseUnavailableError | None = None
        self.since: datetime | None = None  # by the app's clock, as shown
        self._started = 0.0
        self._tried = 0.0
        self.waiting = 0  # changes waiting to be saved
        self.not_saved: list[str] = []  # changes given up on in this outage
        self.closing = False
        self.unsaved_at_exit: list[str] = []  # given up on as the app closed: said after
        self._retry = asyncio.Event()
        self._feed_down = False

    @property
    def down(self) -> bool:
        return self.cause is not None

    def lost(self, cause: DatabaseUnavailableError) -> None:
        """A store call (or the change feed) found the database unreachable."""
        first = self.cause is None
        self.cause = cause
        if first:
            self.since = self._app.clock()
            self._started = self._tried = time.monotonic()
            self.not_saved = []
            # Read again until a read works: that read ends the outage (MaosApp.check_changes).
            self._app.on_store_event(Event(topic=OUTSIDE))
            stack = self._app.screen_stack  # (empty while the app closes)
            if stack and stack[-1] is not self._app.main_screen:  # the line is on the board
                self._app.notify(
                    "Database unavailable, retrying; changes wait to be saved.",
                    title="Database",
                    severity="error",
                )
        self.draw()

    def follow_feed(self, outage: DatabaseUnavailableError | None) -> None:
        """The change feed's view, looked at on every check: its losing the database is
        an outage even before a read fails. Only that start counts: the feed reconnects
        with backoff, so it may go on reporting the outage a few seconds after a read
        has already found the database back."""
        if outage is not None and not self._feed_down:
            self.lost(outage)
        self._feed_down = outage is not None

    def back(self) -> None:
        """A store call worked: the outage, if there was one, is over."""
        if self.cause is None:
            return
        self.cause = None
        self._retry.set()
        lasted = time.monotonic() - self._started
        self._app.notify(
            f"The database is back after {lasted:.0f} s; the board is read again.",
            title="Database",
        )
        self.draw()

    def scheduler_state(self, state: str) -> str:
        """The hosted scheduler's state as the header shows it: while the database is
        unavailable its passes fail, so it starts nothing until the database is back."""
        return "waiting for the database" if state == "running" and self.down else state

    def retry_due(self) -> bool:
        """While down, whether the board's next read is due (one a RETRY_SECONDS)."""
        if self.cause is None:
            return True
        now = time.monotonic()
        if now - self._tried < RETRY_SECONDS:
            return False
        self._tried = now
        return True

    def may_wait(self) -> bool:
        """Whether a change that failed for the outage waits to be tried again: not once
        the outage has lasted WAIT_SECONDS, nor while the app closes."""
        return not self.closing and time.monotonic() - self._started < WAIT_SECONDS

    def count_waiting(self, change: int) -> None:
        self.waiting += change
        self.draw()

    async def pause(self) -> None:
        """Wait until a change is due to be tried again (or the outage ended)."""
        self._retry.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RETRY_SECONDS):
                await self._retry.wait()

    def given_up(self, what: str) -> None:
        """A change was not saved: said on the line for the rest of the outage."""
        self.not_saved.append(what)
        if self.closing:
            self.unsaved_at_exit.append(what)
        self.draw()

    def close(self) -> None:
        """The app is closing: changes still waiting give up now, rather than hold it."""
        self.closing = True
        self._retry.set()

    def draw(self) -> None:
        screen = self._app.main_screen
        screen.set_class(self.cause is not None, "db-down")
        screen.render_board()  # the header's scheduler state follows (scheduler_state)
        if self.cause is not None and self.since is not None:
            screen.db_banner.show(self.since, str(self.cause), self.waiting, self.not_saved)


def database_status(node: DOMNode) -> DbStatus | None:
    """The app's DbStatus, from any widget or screen (None outside MaosApp)."""
    status = getattr(node.app, "db_status", None)
    return status if isinstance(status, DbStatus) else None
