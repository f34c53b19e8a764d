"""What each MCP tool does, against a store: SDK-free, so the process serving the board
(the TUI, `maos-tui run`) can run them too (mcp/served.py).

`perform` is the one entry: it first ends claims whose client went quiet, refreshes the
caller's own claims (any call is a heartbeat), then runs the operation. Both are done at
most once a second per store: a claim goes stale only after 3 heartbeats of a second or
more, and a client calling in a tight loop must not pay a write per call for them."""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maos_tui.config import Config, Workspace
    from maos_tui.store import Store

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 1.0
# Per open store: when claims were last swept, and when each claim was last refreshed.
_swept: weakref.WeakKeyDictionary[Store, float] = weakref.WeakKeyDictionary()
_refreshed: weakref.WeakKeyDictionary[Store, dict[int, float]] = weakref.WeakKeyDictionary()


@dataclass
class Call:
    """One tool call: who makes it, on which board, with which arguments."""

    caller: str
    args: Mapping[str, Any]
    config: Config
    workspace: Workspace
    # The claim runs this client holds (refreshed by the call; a claim adds one).
    claims: list[int] = field(default_factory=list)


# Operations that change nothing on the board (besides the claims every call sweeps).
READ_ONLY = frozenset({"list_tasks", "get_task", "search", "working", "task_markdown"})
Operation = Callable[["Store", Call], Awaitable[dict[str, Any]]]


class CallFailed(Exception):
    """A call the store refused: its message is the CLI's one line."""


def operations() -> dict[str, Operation]:
    from maos_tui.mcp.ops import collab, markdown, tasks, work

    return {**tasks.OPERATIONS, **work.OPERATIONS, **collab.OPERATIONS, **markdown.OPERATIONS}


async def perform(store: Store, name: str, call: Call) -> dict[str, Any]:
    """Run operation `name`; raises CallFailed with a one-line message for bad input."""
    from maos_tui.cli import user_error

    operation = operations().get(name)
    if operation is None:
        raise CallFailed(f"unknown operation {name}")
    try:
        await _maintain(store, call)
        return await operation(store, call)
    except Exception as exc:
        message = user_error(exc)
        if message is None:
            log.exception("MCP operation %s failed", name)
            message = f"internal error: {type(exc).__name__}: {exc}"
        raise CallFailed(message) from None


async def _maintain(store: Store, call: Call) -> None:
    from maos_tui.store import claims

    now = time.monotonic()
    if now - _swept.get(store, -math.inf) >= MAINTENANCE_SECONDS:
        _swept[store] = now
        await claims.release_stale(store)
    refreshed = _refreshed.setdefault(store, {})
    due = [c for c in call.claims if now - refreshed.get(c, -math.inf) >= MAINTENANCE_SECONDS]
    if not due:
        return
    still_open = set(await claims.heartbeat(store, due))
    for claim in due:
        if claim in still_open:
            refreshed[claim] = now
        else:
            refreshed.pop(claim, None)
    call.claims[:] = [c for c in call.claims if c not in due or c in still_open]
