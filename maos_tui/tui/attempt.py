"""Run a store call from a key or a button: broken rules and database problems become
notices, never a crash, and a database locked by another process is retried. A database
that cannot be reached is shown by the app (tui/db_status.py); a change made in the
background may wait for it to come back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from textual.dom import DOMNode

from maos_tui.domain import DomainError
from maos_tui.store import DatabaseLockedError, DatabaseUnavailableError, StoreError
from maos_tui.tui.db_status import database_status

T = TypeVar("T")
# Each try already waits out SQLite's busy_timeout (5 s) before giving up.
LOCK_RETRIES = 3


async def attempt(
    node: DOMNode,
    action: Callable[[], Awaitable[T]],
    *,
    title: str = "Not done",
    wait: bool = False,
) -> T | None:
    """`action` makes a fresh call per try; None means nothing was done (and was said,
    under `title`). With `wait`, a call that failed because the database cannot be
    reached is tried again until it is back (see DbStatus.may_wait); only a write that
    blocks no key (a move already drawn) waits so."""
    status = database_status(node)
    lock_tries = LOCK_RETRIES
    waiting = False
    try:
        while True:
            try:
                result = await action()
            except DatabaseLockedError:
                if not lock_tries:
                    node.notify(
                        "The database is still locked by another process; nothing was changed.",
                        title=title,
                        severity="error",
                    )
                    return None
                lock_tries -= 1
                node.notify(
                    "The database is locked by another process; retrying…", severity="warning"
                )
            except DatabaseUnavailableError as exc:
                if status is None:
                    node.notify(str(exc), title=title, severity="error")
                    return None
                status.lost(exc)
                if not (wait and status.may_wait()):
                    if wait:  # a change the board showed made: its line says it is undone
                        status.given_up(title)
                    node.notify(f"Not saved: {exc}", title=title, severity="error", markup=False)
                    return None
                if not waiting:
                    waiting = True
                    status.count_waiting(1)
                await status.pause()
            except (DomainError, StoreError) as exc:
                node.notify(str(exc), title=title, severity="error")
                return None
            else:
                if status is not None:
                    status.back()
                return result
    finally:
        if waiting and status is not None:
            status.count_waiting(-1)
