"""The person's notifications on the board: toasts for new ones, the header's unread count.

Light on purpose (no widgets): the main screen calls it on every reload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from maos_tui.domain import HUMAN

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp

TOASTS_AT_ONCE = 3


async def toast_new(app: MaosApp) -> int:
    """Toast notifications not shown yet (each once: they are then marked delivered) and
    return the unread count for the header."""
    store = app.store
    fresh = await store.notifications.pending_for(HUMAN)
    if fresh:
        for note in fresh[-TOASTS_AT_ONCE:]:
            app.notify(note.text, title="Mention (N to read)", timeout=8)
        if len(fresh) > TOASTS_AT_ONCE:
            app.notify(f"and {len(fresh) - TOASTS_AT_ONCE} more", title="Mentions")
        await store.notifications.mark_delivered([n.id for n in fresh])
    return await store.notifications.unread_count(HUMAN)
