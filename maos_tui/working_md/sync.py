"""Keep WORKING.md and the store in agreement, both ways.

    sync = WorkingSync(store, workspace, on_problems=show_warnings)
    await sync.start()   # ingest the file, rewrite it, then follow the bus and the folder
    ...
    await sync.stop()

A pass (`sync_once`, see passes.py) merges the file's hand edits into the store, then
rewrites the file from it. Store changes trigger a pass at most once per `debounce`
seconds; changes in the folder trigger one too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from maos_tui.domain import DomainError
from maos_tui.events import Event
from maos_tui.failures import Failures
from maos_tui.working_md.atomic import atomic_write, cleanup_temp_files
from maos_tui.working_md.board import load_board
from maos_tui.working_md.history import Revision
from maos_tui.working_md.holds import HOLD_ARCHIVES_OVER, HeldEdit
from maos_tui.working_md.merge import apply_hand_edit
from maos_tui.working_md.owners import Ownership
from maos_tui.working_md.parse import ParsedFile, Problem, parse_working
from maos_tui.working_md.passes import Merge, Rewrite, WorkingPass, parse_base
from maos_tui.working_md.render import Board

if TYPE_CHECKING:
    from maos_tui.config import Workspace
    from maos_tui.store import Store, Tx

log = logging.getLogger(__name__)
_WATCH_TIMEOUT_MS = 200
_WATCH_READY_TIMEOUT = 5.0
_MIN_EDIT_GAP = 0.05
# A pass that waited long (a lock held elsewhere, a file that kept changing) must not make
# the watcher deaf for as long afterwards.
_MAX_EDIT_GAP = 1.0
# Changes the file does not show, when they come without an Activity (which the file's
# feed would show): a pass for each would re-read and re-render the whole board.
_NOT_SHOWN = frozenset({"heartbeat", "run"})


class _Rollback(Exception):
    """Raised inside a write transaction to undo it: a `check` dry run, or a merge whose
    rewrite did not land (its ID-less lines would otherwise create their tasks twice)."""


class _StoreSource:
    """The board and the merges of hand edits, through the store."""

    def __init__(self, store: Store, hold_over: int) -> None:
        self.store, self.hold_over = store, hold_over

    async def board(self, within: Tx | None = None) -> Board:
        return await load_board(self.store, within)

    def merger(self) -> Merge:
        return self._merge

    async def _merge(
        self, base: ParsedFile | None, theirs: ParsedFile, rewrite: Rewrite, accept: bool
    ) -> list[Problem] | None:
        hold_over = None if accept else self.hold_over
        try:
            async with self.store.write() as tx:
                merged = await apply_hand_edit(self.store, tx, base, theirs, hold_over=hold_over)
                written = await rewrite(merged, tx)
                if written is None:
                    raise _Rollback
        except _Rollback:
            return None
        except HeldEdit as held:  # the file stays as saved, for the user to decide
            return [*theirs.problems, held.problem]
        return written


class WorkingSync(WorkingPass):
    def __init__(
        self,
        store: Store,
        workspace: Workspace,
        *,
        debounce: float = 0.25,
        hold_over: int = HOLD_ARCHIVES_OVER,
        **settings: Any,
    ) -> None:
        """`hold_over`: a save archiving more tasks is held (holds.py). `settings` are
        WorkingPass's (on_problems, settle, empty_grace, clock, tz, history_keep)."""
        super().__init__(_StoreSource(store, hold_over), workspace, **settings)
        self.store = store
        self.hold_over = hold_over
        self.debounce = debounce
        self._dirty = asyncio.Event()
        self._stop = asyncio.Event()
        self._watching = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._failures = Failures(log)
        self._ownership = Ownership(workspace.maos_dir)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        cleanup_temp_files(self.files.path)
        self._stop.clear()
        # The store's changes are followed before the first pass, so a commit by another
        # process or this one is either in that pass or seen after it.
        self._unsubscribe = await self.store.changes.subscribe(self._on_event)
        try:
            # Claimed before the first pass, which can take seconds while an editor keeps
            # saving: from here on every commit reaches _on_event, and the watcher's first
            # look takes any hand edit, so CLI commands may leave their rewrite to us
            # instead of queueing on the file lock behind that pass.
            self._ownership.claim(self.store.url)
            await self.sync_once()
        except BaseException:
            self._ownership.release()
            self._stop_following()
            raise
        if self._stop.is_set():
            return  # stopped during the first pass (the app quit): stop() made the last pass
        self._watching.clear()
        self._tasks = [
            asyncio.create_task(self._rewrite_loop(), name="working-md-rewrite"),
            asyncio.create_task(self._watch_loop(), name="working-md-watch"),
        ]
        # Return once hand edits are being watched, so no save can slip through.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._watching.wait(), _WATCH_READY_TIMEOUT)

    async def stop(self) -> None:
        # Released first: a command that still saw the claim committed before this point,
        # so the last pass below includes its change.
        self._ownership.release()
        self._stop_following()
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        # Always one last pass (it writes only if the text differs): the rewrite loop clears
        # its flag before a pass, so a pass cancelled just now would otherwise be lost, and
        # changes made while stopping (the scheduler requeueing its runs) never written.
        self._dirty.clear()
        await self._guarded()

    def _stop_following(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def holds_unmerged_save(self) -> bool:
        """Was WORKING.md saved since our last write (while no sync ran)? Its merge can
        move, edit or archive tasks, so the scheduler waits for the first pass then."""
        return await asyncio.to_thread(self._saved_since_our_write)

    def _saved_since_our_write(self) -> bool:
        return self.files.path.exists() and not self._unchanged()

    def _on_event(self, event: Event) -> None:
        if event.activity is not None or event.topic not in _NOT_SHOWN:
            self._dirty.set()

    async def _rewrite_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._guarded()
            await asyncio.sleep(self.debounce)

    async def _watch_loop(self) -> None:
        from watchfiles import awatch

        name = self.files.path.name
        async for changes in awatch(
            self.files.path.parent,
            watch_filter=lambda _change, path: os.path.basename(path) == name,
            debounce=30,
            step=20,
            stop_event=self._stop,
            recursive=False,
            rust_timeout=_WATCH_TIMEOUT_MS,
            yield_on_timeout=True,
        ):
            # The first yield means the watcher runs: one look catches any save made
            # before that. Our own writes show up here too; they need no pass.
            if changes or not self._watching.is_set():
                started = time.monotonic()
                await self._guarded(only_if_edited=True)
                self._watching.set()
                # A merge holds the database's write lock until the rewritten file has
                # landed: an editor (or script) saving non-stop must not keep every other
                # writer waiting. Saves made meanwhile are merged together by the next pass.
                gap = min(_MAX_EDIT_GAP, time.monotonic() - started)
                await asyncio.sleep(max(_MIN_EDIT_GAP, gap))

    async def _guarded(self, *, only_if_edited: bool = False) -> None:
        """A pass from a background loop: a failure is reported, never kills the loop."""
        try:
            await self.sync_once(only_if_edited=only_if_edited)
        except Exception as exc:
            self._failures.report("WORKING.md sync failed", exc)
            self._report([Problem(0, f"sync failed: {exc}", "")])

    # ------------------------------------------------------------ commands

    async def check(self) -> list[Problem]:
        """The problems a pass would report now, without changing the store or the file."""
        snapshot = await asyncio.to_thread(self.files.read)
        if snapshot.refused or snapshot.foreign:
            why = snapshot.refused or snapshot.foreign
            return [Problem(0, f"WORKING.md cannot be read: {why}", "")]
        if snapshot.text is None or not snapshot.text.strip():
            return []
        theirs = parse_working(snapshot.text)
        problems = list(theirs.problems)
        base = parse_base(self.files.load_state())
        try:
            async with self.store.write() as tx:
                problems += await apply_hand_edit(
                    self.store, tx, base, theirs, hold_over=self.hold_over
                )
                raise _Rollback
        except _Rollback:
            pass
        except HeldEdit as held:
            problems.append(held.problem)
        return sorted(problems, key=lambda p: p.line)

    async def render_text(self) -> str:
        """What the file should be now, from the store and the last written layout."""
        state = self.files.load_state()
        snapshot = await asyncio.to_thread(self.files.read)
        layout = parse_base(state)
        if layout is None and snapshot.text:
            layout = parse_working(snapshot.text)
        return await self._render(layout, snapshot.text, self.clock())

    async def restore(self, rev: int) -> Revision:
        """Put a revision back as if someone saved it by hand, then apply it."""
        revision = self.history.get(rev)
        async with self.files.lock():
            blocked = self.files.unwritable()
            if blocked is not None:
                raise DomainError(f"{self.files.path} cannot be restored: {blocked}")
            atomic_write(self.files.path, revision.read())
        await self.sync_once(accept=True)  # the user chose this file: nothing to hold
        return revision
