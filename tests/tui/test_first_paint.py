"""What the first paint relies on: cards keep their rendering across a Resize that leaves the
width alone and are redrawn at a new width, and collection is back on after the paint."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from textual import events

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from tests.conftest import Cli

from .conftest import column


def rendered_widths(app: MaosApp) -> set[int]:
    """The widths of every card strip the inbox column holds rendered."""
    cache = column(app, "inbox")._option_render_cache
    # Textual's LRUCache has keys() but cannot be iterated itself.
    return {strip.cell_length for key in cache.keys() for strip in cache[key]}  # noqa: SIM118


async def test_cards_are_redrawn_only_when_the_width_changes(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    for n in range(5):
        await store.tasks.create(f"a task with a title long enough to be cut short {n}")
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        inbox = column(app, "inbox")
        width = inbox.scrollable_content_region.width
        cache = inbox._option_render_cache
        cached = {key: cache[key] for key in cache.keys()}  # noqa: SIM118
        assert cached and rendered_widths(app) == {width}

        # The Resize every widget gets after a layout, at the width it already has.
        inbox.post_message(events.Resize(inbox.size, inbox.virtual_size, inbox.container_size))
        await pilot.pause()
        assert all(inbox._option_render_cache.get(key) is strips for key, strips in cached.items())

        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        narrower = inbox.scrollable_content_region.width
        assert narrower < width
        assert rendered_widths(app) == {narrower}


_PROBE = """
import gc, json, sys
from maos_tui.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "collecting": gc.isenabled()}))
"""


def test_collection_is_back_on_after_the_first_paint(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Write the docs")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--workspace", str(cli.workspace)],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(
            MAOS_BENCH_EXIT_AFTER_PAINT="1",
            TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver",
        ),
        cwd=cli.workspace,
    )
    assert done.returncode == 0, done.stderr
    assert "first paint" in done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "collecting": True}
