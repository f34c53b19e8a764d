"""What the app would send to the terminal (the current screen's composed strips), and
waiting for it with a deadline, so a loaded machine is slower but never wrong."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip


def screen_strips(app: App[object]) -> list[Strip]:
    return app.screen._compositor.render_strips()


def screen_text(app: App[object]) -> str:
    return "\n".join(strip.text for strip in screen_strips(app))


def click_actions(app: App[object]) -> set[str]:
    """Every `@click` action a segment on screen carries (what a mouse click would run)."""
    return {
        str(segment.style.meta["@click"])
        for strip in screen_strips(app)
        for segment in strip
        if segment.style is not None and "@click" in segment.style.meta
    }


async def until(
    pilot: Pilot[object], condition: Callable[[], bool], what: str, seconds: float = 60
) -> None:
    """Let the app run until `condition()` holds; fail saying `what` was awaited."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s for {what}"
        await pilot.pause(0.05)


async def until_shown(pilot: Pilot[object], text: str, seconds: float = 60) -> None:
    await until(pilot, lambda: text in screen_text(pilot.app), repr(text), seconds)
