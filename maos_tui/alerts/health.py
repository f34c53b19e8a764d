"""What `doctor` says about alerts: each channel `[alerts]` turns on, and whether its
last delivery failed (as the scheduler's process recorded it, store/alerts.py)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from maos_tui.alerts.configured import channels_of
from maos_tui.domain import iso_z

if TYPE_CHECKING:
    from maos_tui.config_schema import AlertSettings
    from maos_tui.store import Store

OK, WARNING = "ok", "warning"


async def channel_findings(store: Store, settings: AlertSettings) -> list[tuple[str, str]]:
    """(status, message) per channel."""
    channels = channels_of(settings, None)
    if not channels:
        return [(OK, "off: no channel is on in [alerts]")]
    states = await store.alerts.channel_states()
    found = []
    for channel in channels:
        state = states.get(channel.label)
        if channel.name == "desktop" and shutil.which("notify-send") is None:
            found.append((WARNING, f"{channel.label}: notify-send is not on PATH"))
        elif state is not None and state.failing:
            since = iso_z(state.at)
            found.append((WARNING, f"{channel.label}: failing (at {since}): {state.message}"))
        elif state is not None:
            found.append((OK, f"{channel.label}: works again (at {iso_z(state.at)})"))
        else:
            found.append((OK, f"{channel.label}: no failure recorded"))
    return found
