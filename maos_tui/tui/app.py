"""MaosApp: themes, keymap, the store, the change watcher and the background services.

The board paints from the store first; the scheduler and WORKING.md sync start after
that first paint, so neither delays it (litellm is imported only for an LLM run, on a
thread of its own: agents/llm.py).

Started by `maos-tui` on a current SQLite database, the app paints before the store is
even open: a `FirstReader` (store/stdlib/first_read.py) runs the first read with the stdlib, and
SQLAlchemy is imported after the paint, while the store opens. Input waits meanwhile.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.command import Provider
from textual.screen import Screen

from maos_tui.config import Config, Workspace, save_user_setting, user_themes_dir
from maos_tui.domain import utcnow
from maos_tui.events import OUTSIDE, Event
from maos_tui.resources import themes_dir
from maos_tui.store import DatabaseUnavailableError, StoreError
from maos_tui.tui.alert_output import terminal_writer
from maos_tui.tui.db_status import DbStatus
from maos_tui.tui.keymap_check import config_notice
from maos_tui.tui.keys import KEYS, PALETTE_SCOPES, KeySpec, bindings
from maos_tui.tui.plain import PlainToasts
from maos_tui.tui.screens.main import MainScreen
from maos_tui.tui.services import Services
from maos_tui.tui.taps import TapBesideCloses
from maos_tui.tui.themes import DEFAULT_THEME, VARIABLE_FALLBACKS, load_themes

if TYPE_CHECKING:
    from maos_tui.store import Store
    from maos_tui.store.stdlib.first_read import FirstReader

POLL_SECONDS = 0.2


def _task_commands() -> type[Provider]:
    """The palette's task finder, imported when the palette first opens."""
    from maos_tui.tui.palette import TaskCommands

    return TaskCommands


def freeze_startup_objects() -> None:
    """Exempt everything loaded so far (modules, the store, the widgets) from the garbage
    collector's full passes. Each full pass otherwise walked those ~200,000 long-lived
    objects: a 60-80 ms stall every few seconds of drawing, landing on whichever key
    was being answered. Objects made from now on are collected as usual."""
    gc.collect()
    gc.freeze()
    gc.enable()  # launch() turns collection off until the first paint


class MaosApp(TapBesideCloses, PlainToasts):
    CSS_PATH: ClassVar[list[str]] = ["app.tcss", "narrow.tcss"]
    TITLE = "maos-tui"
    BINDINGS: ClassVar[list[BindingType]] = bindings("app")
    COMMANDS = App.COMMANDS | {_task_commands}

    def __init__(
        self,
        workspace: Workspace,
        config: Config,
        *,
        store: Store | None = None,
        db_url: str | None = None,
        first_reader: FirstReader | None = None,
        open_store: Callable[[], Awaitable[Store]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        start_services: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.config = config
        self._store = store
        self.db_url = db_url or workspace.default_db_url()
        # Without a store: what the first paint reads instead, and how the store is opened
        # (Store.open by default; the CLI also mirrors the config's agents).
        self._first_reader = first_reader
        self._open_store = open_store or self._open_store_at_url
        self._owns_store = store is None
        # Input that arrived before the store was open, replayed once it is; None once open.
        self._held: list[events.Event] | None = None
        # Why the store could not be opened after the first paint; launch() reports it.
        self.open_error: Exception | None = None
        self.clock = clock
        self.start_services = start_services
        self.env = os.environ if env is None else env
        self.main_screen = MainScreen()
        self.services: Services | None = None
        self.first_paint_at: float | None = None
        self._events: list[Event] = []  # commits since the last refresh (store/feed.py)
        self._checking = False
        self._theme_ready = False
        self._unsubscribe: Callable[[], None] | None = None
        self._store_problem = False
        self.db_status = DbStatus(self)

    @property
    def store(self) -> Store:
        assert self._store is not None, "the store is open before any input is handled"
        return self._store

    async def _open_store_at_url(self) -> Store:
        from maos_tui.store import Store

        return await Store.open(self.db_url)

    # ------------------------------------------------------------ start-up

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_FALLBACKS)

    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

    async def on_load(self) -> None:
        # Before the first screen is composed: a theme set later re-applies the whole
        # stylesheet and lays the screen out again, ~100 ms before the first paint.
        self.apply_themes()
        keymap = self.config.keymap
        if keymap:
            self.set_keymap(keymap)
        # The board's first read too, so the first frame drawn already has the cards:
        # drawing the empty board while the store was read cost as much as the full one.
        if await self._read_first_without_store():
            return
        if self._store is None:
            self._store = await self._open_store()
        await self._watch_store()
        await self.main_screen.read_first()

    async def _read_first_without_store(self) -> bool:
        """The first read from the stdlib reader, if there is one and it works; the store
        is then opened after the first paint (open_store_late)."""
        reader, self._first_reader = self._first_reader, None
        if reader is None:
            return False
        try:
            await self.main_screen.read_first(reader)
        except sqlite3.Error:
            return False  # opened with SQLAlchemy then, as without a reader
        finally:
            reader.close()
        self._held = []
        return True

    async def _watch_store(self) -> None:
        # Before the board's read: a commit landing during it is then refreshed.
        self._unsubscribe = await self.store.changes.subscribe(self.on_store_event)

    async def on_event(self, event: events.Event) -> None:
        # Keys (and clicks) before the store is open wait for it: most of them use it.
        if self._held is not None and isinstance(event, events.InputEvent):
            # Not a quit key: nothing can be unsaved yet, and a store slow to open (another
            # process holding the write lock) must not keep the user in.
            if isinstance(event, events.Key) and event.key in self._quit_keys():
                self.exit(0)
                return
            self._held.append(event)
            return
        await super().on_event(event)

    def _quit_keys(self) -> set[str]:
        keys = {"ctrl+q"}  # Textual's own quit
        for spec in KEYS:
            if spec.action == "app.request_quit":
                chosen = self.config.keymap.get(spec.id, spec.keys)
                keys.update(key.strip() for key in chosen.split(","))
        return keys

    def on_mount(self) -> None:
        if notice := config_notice(self.config):
            self.notify(notice, title="Config", severity="warning", timeout=30, markup=False)
        self.set_interval(POLL_SECONDS, self.check_changes)
        self.set_interval(1.0, self.tick)
        self.call_after_refresh(self.after_first_paint)

    def after_first_paint(self) -> None:
        self.first_paint_at = time.perf_counter()
        freeze_startup_objects()
        if self.env.get("MAOS_BENCH_EXIT_AFTER_PAINT") == "1":
            self.exit(0)
            return
        if self._store is None:
            self.run_worker(self.open_store_late(), name="store")
        else:
            self.start_background()

    def start_background(self) -> None:
        if self.env.get("MAOS_BENCH_EXIT_WHEN_LOADED") == "1":
            self.run_worker(self._load_then_exit(), name="finish")
            return
        self.run_worker(self.main_screen.finish_loading(), name="finish", exit_on_error=False)
        if self.start_services:
            self.run_worker(self.begin_services(), name="services", exit_on_error=False)

    async def _load_then_exit(self) -> None:
        """For rss-10k: the memory of the board fully open (store, every read, services),
        which the first paint, made before the store is loaded, does not show."""
        await self.main_screen.finish_loading()
        if self.start_services:
            await self.begin_services()
        self.exit(0)

    async def open_store_late(self) -> None:
        """Open the store after a first paint made without it, then carry on as usual.
        finish_loading reads the whole board again after the watch below starts, so a
        commit made since the first read is shown either way."""
        gc.disable()  # as before the first paint: SQLAlchemy's modules are long-lived
        try:
            self._store = await self._open_store()
            await self._watch_store()
        except Exception as exc:  # reported by launch() once the screen is restored
            self.open_error = exc
            self.exit(1)
            return
        finally:
            freeze_startup_objects()
        self.start_background()
        held, self._held = self._held or [], None
        for event in held:
            self.post_message(event)

    async def begin_services(self) -> None:
        services = Services(
            self.store, self.workspace, self.config, self.on_sync_problems, terminal_writer(self)
        )
        self.services = services
        try:
            await services.start()
        except Exception as exc:  # a service failing to start must leave the board usable
            services.off_reason = f"failed to start: {exc}"
            self.notify(f"Scheduler not started: {exc}", severity="error")
        freeze_startup_objects()  # the services' modules are loaded now
        self.main_screen.render_board()

    def on_sync_problems(self, problems: list[Any]) -> None:
        """WORKING.md problems, each once (the sync passes only new ones); plain text, as
        they quote the file."""
        for problem in problems[:3]:
            self.notify(problem.headline(), title="WORKING.md", severity="warning", markup=False)

    async def on_unmount(self) -> None:
        # A move is drawn before it is saved: one made just before quitting is saved too,
        # unless the database is unavailable (then it is said after exit: launch.py).
        self.db_status.close()
        await self.main_screen.settle_writes()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.services is not None:
            await self.services.stop()
        if self._owns_store and self._store is not None:
            await self._store.close()

    # ------------------------------------------------------------ themes

    def apply_themes(self) -> None:
        catalog = load_themes(themes_dir(), user_themes_dir(self.env))
        for theme in catalog.themes:
            self.register_theme(theme)
        for problem in catalog.problems:
            self.notify(problem, title="Theme not loaded", severity="warning", timeout=8)
        wanted = self.config.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            if wanted != DEFAULT_THEME:
                self.notify(
                    f"theme {wanted!r} is not available; using {DEFAULT_THEME}",
                    severity="warning",
                )
            wanted = DEFAULT_THEME
        self.theme = wanted
        self._theme_ready = True

    def watch_theme(self, theme: str) -> None:
        if not self._theme_ready:
            return
        try:
            save_user_setting("theme", theme, self.env)
        except OSError as exc:
            self.notify(f"theme not remembered: {exc}", severity="warning")

    def remember_default_model(self, model: str) -> None:
        try:
            save_user_setting("default_model", model, self.env)
        except OSError as exc:
            self.notify(f"default model not saved: {exc}", severity="warning")

    # ------------------------------------------------------------ live updates

    def on_store_event(self, event: Event) -> None:
        # Runs inside the committing code: only note it, the watcher does the work.
        self._events.append(event)
        if event.topic == OUTSIDE:  # the feed polled for it already: no second wait
            self.call_later(self.check_changes)

    async def check_changes(self) -> None:
        """Refresh when this process committed or another one did (the store's feed)."""
        if self._checking or not self.screen_stack:
            return  # (no screen: the app is closing, and the feed's last call came late)
        if self._store is not None:
            self.db_status.follow_feed(self._store.changes.outage)
        if not self._events or not self.db_status.retry_due():
            return
        self._checking = True
        events, self._events = self._events, []
        try:
            # Another process's commit names no task: refresh_after reloads everything.
            await self.main_screen.refresh_after(events)
            if not self.screen_stack:
                return  # the app closed while the board reloaded
            refresh = getattr(self.screen, "store_changed", None)
            if self.screen is not self.main_screen and refresh is not None:
                await refresh()
            self._store_problem = False
            self.db_status.back()
        except DatabaseUnavailableError as exc:
            self._events[:0] = events  # read again until it works (DbStatus.retry_due)
            self.db_status.lost(exc)
        except StoreError as exc:
            self._events[:0] = events  # not shown yet: refresh again
            if not self._store_problem:
                self._store_problem = True
                self.notify(str(exc), title="Database", severity="error")
        finally:
            self._checking = False

    def tick(self) -> None:
        if self.screen is self.main_screen:
            self.main_screen.render_board()

    # ------------------------------------------------------------ scheduler

    @property
    def scheduler_state(self) -> str:
        return self.db_status.scheduler_state(self.services.state) if self.services else "off"

    def services_toggle_pause(self) -> str:
        if self.services is None:
            raise RuntimeError("the scheduler is off")
        return self.services.toggle_pause()

    async def action_request_quit(self) -> None:
        active = self.services.active_runs if self.services is not None else {}
        if not active:
            self.exit(0)
            return
        from maos_tui.tui.screens.pickers import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        question = f"{len(active)} run(s) in progress will be stopped. Quit?"
        self.push_screen(Confirm(question), answered)

    def action_help(self) -> None:
        from maos_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    # ------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for spec in KEYS:
            if not spec.palette or spec.scope not in PALETTE_SCOPES:
                continue
            if spec.scope == "main" and screen is not self.main_screen:
                continue
            yield SystemCommand(
                spec.description, f"key: {spec.display}", partial(self.run_spec, spec)
            )

    async def run_spec(self, spec: KeySpec) -> None:
        target = self.main_screen if spec.scope == "main" else self
        await self.run_action(spec.action, target)
