"""Run a store call from a key or a button: broken rules and database problems become
notices, never a crash, and a database locked by another process is retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from textual.dom import DOMNode

from maos_tui.domain import DomainError
from maos_tui.store import DatabaseLockedError, StoreError

T = TypeVar("T")
# Each try already waits out SQLite's busy_timeout (5 s) before giving up.
LOCK_RETRIES = 3


async def attempt(
    node: DOMNode, action: Callable[[], Awaitable[T]], *, title: str = "Not done"
) -> T | None:
    """`action` makes a fresh call per try; None means nothing was done (and was said,
    under `title`)."""
    for tries_left in range(LOCK_RETRIES, -1, -1):
        try:
            return await action()
        except DatabaseLockedError:
            if not tries_left:
                node.notify(
                    "The database is still locked by another process; nothing was changed.",
                    title=title,
                    severity="error",
                )
                return None
            node.notify("The database is locked by another process; retrying…", severity="warning")
        except (DomainError, StoreError) as exc:
            node.notify(str(exc), title=title, severity="error")
            return None
    return None
