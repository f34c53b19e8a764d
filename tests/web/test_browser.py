"""`maos-tui serve` end to end in headless Chromium (Debian's, driven by Playwright): the
URL with its token opens the board, a key moves a card in the store, and a second tab
works through the store while the first tab's app runs the one scheduler."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from maos_tui.config import Workspace
from maos_tui.scheduler.lock import scheduler_holder
from tests.conftest import Cli
from tests.web.conftest import Served, screen_text, wait_for

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; "
    ".ci/run installs it)",
)
# Without the networking flags its connections to a closed network fail many at a time.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP_SECONDS = 120  # an app process per tab, on a loaded machine


class Tab:
    """A page of the served board, with everything its websocket received."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.received = bytearray()
        self.websocket_url = ""
        page.on("websocket", self._follow)

    def _follow(self, websocket) -> None:  # type: ignore[no-untyped-def]
        self.websocket_url = websocket.url
        websocket.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):  # the app's output; text frames are pongs
            self.received += payload

    @property
    def text(self) -> str:
        return screen_text(bytes(self.received))

    def wait_for_text(self, *needles: str, seconds: float = APP_SECONDS) -> None:
        # Playwright delivers events only while it waits: poll through the page.
        deadline = time.monotonic() + seconds
        while not all(needle in self.text for needle in needles):
            if time.monotonic() > deadline:
                raise AssertionError(f"{needles} not drawn in {seconds}s: {self.text[-2000:]!r}")
            self.page.wait_for_timeout(200)

    def press(self, key: str) -> None:
        # The terminal's own input, not a click: a click on the board would pick a card.
        self.page.focus(".xterm-helper-textarea")
        self.page.keyboard.press(key)


@pytest.fixture
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def desktop(chromium):  # type: ignore[no-untyped-def]
    return chromium.new_context(viewport={"width": 1280, "height": 800})


def open_tab(context, served: Served) -> Tab:  # type: ignore[no-untyped-def]
    tab = Tab(context.new_page())
    tab.page.goto(served.url)
    return tab


def task_status(cli: Cli, task_id: str) -> str:
    return json.loads(cli.ok("task", "show", task_id, "--json"))["status"]


def app_pids(served: Served) -> list[int]:
    """The app processes under the server (textual-serve starts each through a shell)."""
    pids = []
    for pid in served.app_processes():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"maos_tui" in argv and b"-c" not in argv:
            pids.append(pid)
    return pids


def test_the_url_opens_the_board_and_a_key_moves_a_card(served: Served, cli: Cli, desktop):
    tab = open_tab(desktop, served)
    # The token went into the cookie and out of the address bar.
    assert tab.page.url == served.base + "/"
    (cookie,) = desktop.cookies()
    assert cookie["value"] == served.token
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    tab.wait_for_text("INBOX", "TASK-001")
    assert task_status(cli, "TASK-001") == "inbox"
    tab.press("]")
    wait_for(
        lambda: task_status(cli, "TASK-001") == "assigned",
        APP_SECONDS,
        "] in the browser to move TASK-001 to assigned in the store",
    )


def test_two_tabs_run_one_scheduler_and_the_second_works_through_the_store(
    served: Served, cli: Cli, desktop
):
    workspace = Workspace(cli.workspace)
    first = open_tab(desktop, served)
    first.wait_for_text("TASK-001", "scheduler running")
    (first_pid,) = app_pids(served)
    assert scheduler_holder(workspace) == first_pid

    second = open_tab(desktop, served)
    second.wait_for_text("TASK-001", "scheduler off (held by another process)")
    assert len(app_pids(served)) == 2
    assert scheduler_holder(workspace) == first_pid

    # The second tab's changes reach the store, and the store's reach both tabs.
    second.press("]")
    wait_for(
        lambda: task_status(cli, "TASK-001") == "assigned",
        APP_SECONDS,
        "] in the second tab to move TASK-001 in the store",
    )
    cli.ok("task", "add", "Live")
    second.wait_for_text("TASK-002 Live")
    first.wait_for_text("TASK-002 Live")
    assert scheduler_holder(workspace) == first_pid

    # Closing the first tab ends its app; the second takes the scheduler over.
    (second_pid,) = set(app_pids(served)) - {first_pid}
    first.page.close()
    wait_for(
        lambda: scheduler_holder(workspace) == second_pid,
        APP_SECONDS,
        "the second tab's app to take the scheduler over",
    )
    second.wait_for_text("scheduler running")


def test_a_phone_in_portrait_gets_one_column_switched_by_taps(served: Served, chromium):
    phone = chromium.new_context(viewport={"width": 400, "height": 800}, has_touch=True)
    tab = open_tab(phone, served)
    tab.wait_for_text("INBOX 1", "ASSIGNED ▶")
    size = parse_qs(urlsplit(tab.websocket_url).query)
    columns, rows = int(size["width"][0]), int(size["height"][0])
    assert columns < 60  # the narrow layout's width
    screen = tab.page.locator(".xterm-screen").bounding_box()
    assert screen is not None
    cell_height = screen["height"] / rows
    # The switcher is the third line; its right half shows the next column.
    tab.page.mouse.click(screen["x"] + screen["width"] * 0.9, screen["y"] + cell_height * 2.5)
    tab.wait_for_text("◀ INBOX", "ASSIGNED 0")
