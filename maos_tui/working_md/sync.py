"""Keep WORKING.md and the store in agreement, both ways.

    sync = WorkingSync(store, workspace, on_problems=show_warnings)
    await sync.start()   # ingest the file, rewrite it, then follow the bus and the folder
    ...
    await sync.stop()

One *pass* (`sync_once`) holds the cross-process lock and: reads the file (after it has
settled); if it is not the file we last wrote, merges it into the store as a hand edit;
renders the store with the file as layout; replaces the file atomically if the text
changed, checking right before the replace that nobody saved in between. Store changes
trigger a pass at most once per `debounce` seconds; changes in the folder trigger one too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from maos_tui.domain import DomainError, iso_z, utcnow
from maos_tui.events import Event
from maos_tui.working_md.atomic import Stamp, atomic_write, cleanup_temp_files
from maos_tui.working_md.board import load_board
from maos_tui.working_md.files import Snapshot, StepAside, SyncState, WorkingFiles
from maos_tui.working_md.history import KEEP, History, Revision
from maos_tui.working_md.merge import apply_hand_edit
from maos_tui.working_md.owners import Ownership
from maos_tui.working_md.parse import ParsedFile, Problem, parse_working
from maos_tui.working_md.render import draw_working

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.config import Workspace
    from maos_tui.store import Store

log = logging.getLogger(__name__)
ProblemsHandler = Callable[[list[Problem]], None]
_MAX_PASS_ATTEMPTS = 5
_WATCH_TIMEOUT_MS = 200
_WATCH_READY_TIMEOUT = 5.0
# How soon commits by other processes (one-shot CLI commands) reach the file.
_POLL_SECONDS = 0.3
_MIN_EDIT_GAP = 0.05


class _Rollback(Exception):
    """Raised inside a write transaction to undo it: a `check` dry run, or a merge whose
    rewrite did not land (its ID-less lines would otherwise create their tasks twice)."""


class WorkingSync:
    def __init__(
        self,
        store: Store,
        workspace: Workspace,
        *,
        on_problems: ProblemsHandler | None = None,
        debounce: float = 0.25,
        settle: float = 0.1,
        empty_grace: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo | None = None,
        history_keep: int = KEEP,
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.problems: list[Problem] = []
        self.on_problems = on_problems
        self.debounce, self.settle, self.empty_grace = debounce, settle, empty_grace
        self.clock, self.tz = clock, tz
        self.files = WorkingFiles(workspace)
        self.history = History(workspace.history_dir, history_keep)
        self._dirty = asyncio.Event()
        self._stop = asyncio.Event()
        self._watching = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._ownership = Ownership(workspace.maos_dir)
        self._pass_lock = asyncio.Lock()
        self._watch_db: AsyncConnection | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        cleanup_temp_files(self.files.path)
        # The commit counter is read before the first pass, so a commit by another
        # process is either in that pass or moves the counter afterwards.
        self._watch_db = await self.store.engine.connect()
        try:
            version = await self._data_version()
            # Claimed before the first pass, which can take seconds while an editor keeps
            # saving: from here on every commit moves the counter the poll loop follows, and
            # the watcher's first look takes any hand edit, so CLI commands may leave their
            # rewrite to us instead of queueing on the file lock behind that pass.
            self._ownership.claim(self.store.url)
            await self.sync_once()
        except BaseException:
            self._ownership.release()
            await self._watch_db.close()
            self._watch_db = None
            raise
        self._unsubscribe = self.store.bus.subscribe(self._on_event)
        self._stop.clear()
        self._watching.clear()
        self._tasks = [
            asyncio.create_task(self._rewrite_loop(), name="working-md-rewrite"),
            asyncio.create_task(self._watch_loop(), name="working-md-watch"),
            asyncio.create_task(self._poll_loop(version), name="working-md-poll"),
        ]
        # Return once hand edits are being watched, so no save can slip through.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._watching.wait(), _WATCH_READY_TIMEOUT)

    async def stop(self) -> None:
        # Released first: a command that still saw the claim committed before this point,
        # so the last pass below includes its change.
        self._ownership.release()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._watch_db is not None:
            await self._watch_db.close()
            self._watch_db = None
        # Always one last pass (it writes only if the text differs): the rewrite loop clears
        # its flag before a pass, so a pass cancelled just now would otherwise be lost, and
        # changes made while stopping (the scheduler requeueing its runs) never written.
        self._dirty.clear()
        await self._guarded()

    def _on_event(self, _event: Event) -> None:
        self._dirty.set()

    async def _rewrite_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._guarded()
            await asyncio.sleep(self.debounce)

    async def _data_version(self) -> int:
        assert self._watch_db is not None
        version = await self.store.data_version(self._watch_db)
        await self._watch_db.rollback()  # end the read, so the next look sees new commits
        return version

    async def _poll_loop(self, seen: int) -> None:
        """Commits from other processes publish nothing on our bus: notice them here."""
        while True:
            await asyncio.sleep(_POLL_SECONDS)
            try:
                version = await self._data_version()
            except Exception:
                log.exception("could not poll the database for changes")
                continue
            if version != seen:
                seen = version
                self._dirty.set()

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
                await asyncio.sleep(max(_MIN_EDIT_GAP, time.monotonic() - started))

    async def _guarded(self, *, only_if_edited: bool = False) -> None:
        """A pass from a background loop: a failure is reported, never kills the loop."""
        try:
            await self.sync_once(only_if_edited=only_if_edited)
        except Exception as exc:
            log.exception("WORKING.md sync failed")
            self._report([Problem(0, f"sync failed: {exc}", "")])

    def _report(self, problems: list[Problem]) -> None:
        changed = problems != self.problems
        self.problems = problems
        if changed and self.on_problems is not None:
            self.on_problems(list(problems))

    # ------------------------------------------------------------ one pass

    async def sync_once(
        self, *, only_if_edited: bool = False, give_up: Callable[[], bool] | None = None
    ) -> list[Problem]:
        """Apply the file's hand edits (if any), then rewrite it from the store.

        `give_up` is asked while waiting for the file lock and between attempts; once it
        says yes, the pass is left undone (another process has taken it over).
        """
        # Passes of this process queue here, in order; the flock (which a waiter can only
        # poll for) is then contended by other processes alone.
        try:
            async with self._pass_lock, self.files.lock(give_up):
                blocked = self.files.unwritable()
                if blocked is not None:
                    problems = [Problem(0, f"WORKING.md is not synced: {blocked}", "")]
                    self._report(problems)
                    return problems
                if only_if_edited and self.files.unchanged(self.files.load_state()):
                    return self.problems
                for _ in range(_MAX_PASS_ATTEMPTS):
                    problems = await self._pass()
                    if problems is not None:
                        break
                    if give_up is not None and give_up():
                        raise StepAside
                else:
                    problems = [Problem(0, "the file kept changing; will try again", "")]
        except StepAside:
            return []
        self._report(problems)
        return problems

    async def _read(self, state: SyncState | None) -> Snapshot:
        if self.files.unchanged(state):
            return self.files.read()
        return await self.files.read_settled(self.settle, self.empty_grace)

    async def _pass(self) -> list[Problem] | None:
        """None when someone saved while we were writing (the caller runs it again).

        A hand edit is merged in the same transaction that stays open until the rewritten
        file has landed: if the rewrite is abandoned or fails (a newer save, a full disk),
        the merge rolls back with it and the next pass applies the edit exactly once.
        """
        now = self.clock()
        state = self.files.load_state()
        snapshot = await self._read(state)
        problems: list[Problem] = []
        layout: ParsedFile | None = None
        theirs: ParsedFile | None = None
        if snapshot.refused:
            kept = self.files.refuse(now)
            reason = f"WORKING.md was refused ({snapshot.refused}); it is kept as {kept.name}"
            problems.append(Problem(0, reason, ""))
            snapshot = Snapshot(None)
        elif snapshot.text is not None and snapshot.text.strip():
            parsed = parse_working(snapshot.text)
            edited = state is None or Stamp.of(self.files.path, snapshot.data or b"").sha256 != (
                state.stamp.sha256
            )
            if edited or parsed.new_lines() or (state is not None and state.pending):
                theirs = parsed
            if edited and snapshot.data is not None:
                self.history.add(snapshot.data, "edit", now)
            problems = list(parsed.problems)
            layout = parsed
        # Our last write is parsed only when needed: the common pass, a store change with the
        # file as we left it, reads the file alone.
        if theirs is None:
            if layout is None:
                layout = _parse_base(state)
            return await self._rewrite(state, snapshot, layout, problems, now)
        base = _parse_base(state)
        try:
            async with self.store.write() as tx:
                problems += await apply_hand_edit(self.store, tx, base, theirs)
                written = await self._rewrite(state, snapshot, layout, problems, now, tx.conn)
                if written is None:
                    raise _Rollback
        except _Rollback:
            return None
        return written

    async def _rewrite(
        self,
        state: SyncState | None,
        snapshot: Snapshot,
        layout: ParsedFile | None,
        problems: list[Problem],
        now: datetime,
        conn: AsyncConnection | None = None,
    ) -> list[Problem] | None:
        text = await self._render(layout, snapshot.text, now, conn)
        pending = _failed_texts(layout)
        if text == snapshot.text:
            data = snapshot.data
            if data is not None and (state is None or state.base != data):
                self.files.save_state(Stamp.of(self.files.path, data), data, pending)
            return problems
        data = text.encode("utf-8")
        stamp = atomic_write(self.files.path, data, still_ok=lambda: self._still(snapshot))
        if stamp is None:
            return None
        self.files.save_state(stamp, data, pending)
        self.history.add(data, "rewrite", now)
        return _relocate(problems, text)

    def _still(self, snapshot: Snapshot) -> bool:
        """Is the file on disk still what this pass read? (Checked just before replacing.)"""
        return self.files.read().data == snapshot.data

    async def _render(
        self,
        layout: ParsedFile | None,
        current: str | None,
        now: datetime,
        conn: AsyncConnection | None = None,
    ) -> str:
        """Keep `Last Updated` unless something else in the file changes."""
        board = await load_board(self.store, conn)
        drawn = draw_working(board, workspace_name=self.workspace.name, layout=layout, tz=self.tz)
        if layout is not None and layout.last_updated:
            text = drawn.text(layout.last_updated)
            if text == current:
                return text
        return drawn.text(iso_z(now) or "")

    # ------------------------------------------------------------ commands

    async def check(self) -> list[Problem]:
        """The problems a pass would report now, without changing the store or the file."""
        snapshot = self.files.read()
        if snapshot.refused:
            return [Problem(0, f"WORKING.md cannot be read: {snapshot.refused}", "")]
        if snapshot.text is None or not snapshot.text.strip():
            return []
        theirs = parse_working(snapshot.text)
        problems = list(theirs.problems)
        base = _parse_base(self.files.load_state())
        with contextlib.suppress(_Rollback):
            async with self.store.write() as tx:
                problems += await apply_hand_edit(self.store, tx, base, theirs)
                raise _Rollback
        return sorted(problems, key=lambda p: p.line)

    async def render_text(self) -> str:
        """What the file should be now, from the store and the last written layout."""
        state = self.files.load_state()
        snapshot = self.files.read()
        layout = _parse_base(state)
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
        await self.sync_once()
        return revision


def _parse_base(state: SyncState | None) -> ParsedFile | None:
    if state is None:
        return None
    return parse_working(state.base.decode("utf-8", errors="replace"), state.pending)


def _failed_texts(layout: ParsedFile | None) -> list[str]:
    if layout is None:
        return []
    return [
        e.text for entries in layout.entries.values() for e in entries if e.lineno in layout.failed
    ]


def _relocate(problems: list[Problem], text: str) -> list[Problem]:
    """Report problem lines where they are in the rewritten file (kept lines move)."""
    positions: dict[str, list[int]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        positions.setdefault(line.rstrip("\r"), []).append(number)
    moved = []
    for problem in problems:
        found = positions.get(problem.text)
        line = found.pop(0) if found and problem.line else problem.line
        moved.append(Problem(line, problem.reason, problem.text))
    return moved
