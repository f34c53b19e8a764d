"""One pass over WORKING.md, whatever reads the board: `WorkingPass(source, workspace)`.

A *pass* (`sync_once`) holds the cross-process lock and: reads the file (after it has
settled); if it is not the file we last wrote, has the source merge it into the store as a
hand edit; renders the board with the file as layout; replaces the file atomically if the
text changed, checking right before the replace that nobody saved in between. A save the
merge holds (holds.py) is left on disk as it is, and reported, until the user decides.
File I/O runs in worker threads: a slow disk must not hold up the scheduler's event loop.

The source is the store (sync.py's `WorkingSync`), or a stdlib `sqlite3` reader that can
rewrite but not merge (lite.py, for one-shot CLI commands that must not import
SQLAlchemy). This module imports neither.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from maos_tui.domain import iso_z, utcnow
from maos_tui.working_md.atomic import Stamp, atomic_write
from maos_tui.working_md.files import Snapshot, StepAside, SyncState, WorkingFiles
from maos_tui.working_md.history import KEEP, History
from maos_tui.working_md.parse import ParsedFile, Problem, parse_working
from maos_tui.working_md.render import Board, draw_working

if TYPE_CHECKING:
    from maos_tui.config import Workspace

ProblemsHandler = Callable[[list[Problem]], None]
# Rewrites the file from the board as read within the merge's transaction (`within`),
# adding the merge's problems to the pass's; None when the file changed meanwhile.
Rewrite = Callable[[list[Problem], Any], Awaitable["list[Problem] | None"]]
# (base, theirs, rewrite, accept): `accept` applies a save that would be held (holds.py).
Merge = Callable[[ParsedFile | None, ParsedFile, Rewrite, bool], Awaitable["list[Problem] | None"]]
_MAX_PASS_ATTEMPTS = 5
T = TypeVar("T")


class BoardSource(Protocol):
    async def board(self, within: Any = None) -> Board:
        """The board now; `within` is the merge's transaction, when the pass is in one."""
        ...

    def merger(self) -> Merge:
        """How this source applies a hand edit (base, theirs, rewrite): in a transaction
        that commits only once `rewrite` has landed. Raises when it cannot merge, before
        the pass changes anything."""
        ...


class WorkingPass:
    def __init__(
        self,
        source: BoardSource,
        workspace: Workspace,
        *,
        on_problems: ProblemsHandler | None = None,
        settle: float = 0.1,
        empty_grace: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo | None = None,
        history_keep: int = KEEP,
    ) -> None:
        self.source = source
        self.workspace = workspace
        self.problems: list[Problem] = []
        self.on_problems = on_problems
        self.settle, self.empty_grace = settle, empty_grace
        self.clock, self.tz = clock, tz
        self.files = WorkingFiles(workspace)
        self.history = History(workspace.history_dir, history_keep)
        self._pass_lock = asyncio.Lock()

    def _report(self, problems: list[Problem]) -> None:
        """Hand `on_problems` the problems this pass found that the last one had not: each
        is told once, not at every pass (a line that moves is still the same problem)."""
        told = {_key(p) for p in self.problems}
        self.problems = problems
        new = [p for p in problems if _key(p) not in told]
        if new and self.on_problems is not None:
            self.on_problems(new)

    async def sync_once(
        self,
        *,
        only_if_edited: bool = False,
        give_up: Callable[[], bool] | None = None,
        accept: bool = False,
    ) -> list[Problem]:
        """Apply the file's hand edits (if any), then rewrite it from the board.

        `give_up` is asked while waiting for the file lock and between attempts; once it
        says yes, the pass is left undone (another process has taken it over). `accept`
        applies a save that would otherwise be held.
        """
        # Passes of this process queue here, in order; the flock (which a waiter can only
        # poll for) is then contended by other processes alone.
        try:
            async with self._pass_lock, self.files.lock(give_up):
                # Once it holds the lock, a pass runs to its end even if cancelled (a loop
                # stopped, an app quitting): cancelled midway, its file write, on a worker
                # thread, would land after the passes that follow it, and a merge's
                # rollback would leave the file saying the hand edit was applied.
                problems = await _to_its_end(self._locked_pass(only_if_edited, give_up, accept))
        except StepAside:
            return []
        if problems is None:
            return self.problems
        self._report(problems)
        return problems

    async def _locked_pass(
        self, only_if_edited: bool, give_up: Callable[[], bool] | None, accept: bool
    ) -> list[Problem] | None:
        """The pass's problems; None when `only_if_edited` and the file is ours."""
        blocked = await asyncio.to_thread(self.files.unwritable)
        if blocked is not None:
            return [_not_synced(blocked)]
        if only_if_edited and await asyncio.to_thread(self._unchanged):
            return None
        for _ in range(_MAX_PASS_ATTEMPTS):
            problems = await self._pass(accept)
            if problems is not None:
                return problems
            if give_up is not None and give_up():
                raise StepAside
        return [Problem(0, "the file kept changing; will try again", "")]

    def _unchanged(self) -> bool:
        return self.files.unchanged(self.files.load_state())

    async def _read(self, state: SyncState | None) -> Snapshot:
        if await asyncio.to_thread(self.files.unchanged, state):
            return await asyncio.to_thread(self.files.read)
        return await self.files.read_settled(self.settle, self.empty_grace)

    async def _pass(self, accept: bool) -> list[Problem] | None:
        """None when someone saved while we were writing (the caller runs it again).

        A hand edit is merged in the same transaction that stays open until the rewritten
        file has landed: if the rewrite is abandoned or fails (a newer save, a full disk),
        the merge rolls back with it and the next pass applies the edit exactly once.
        """
        now = self.clock()
        state = await asyncio.to_thread(self.files.load_state)
        snapshot = await self._read(state)
        problems: list[Problem] = []
        layout: ParsedFile | None = None
        theirs: ParsedFile | None = None
        edited = False
        if snapshot.foreign:  # replaced since `unwritable` looked
            return [_not_synced(snapshot.foreign)]
        if snapshot.refused:
            kept = await asyncio.to_thread(self.files.refuse, now)
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
            problems = list(parsed.problems)
            layout = parsed
        # Our last write is parsed only when needed: the common pass, a store change with the
        # file as we left it, reads the file alone.
        if theirs is None:
            if layout is None:
                layout = parse_base(state)
            return await self._rewrite(state, snapshot, layout, problems, now)
        merge = self.source.merger()  # first: a source that cannot merge leaves all as is
        if edited and snapshot.data is not None:
            await asyncio.to_thread(self.history.add, snapshot.data, "edit", now)

        def rewrite(merged: list[Problem], within: Any) -> Awaitable[list[Problem] | None]:
            return self._rewrite(state, snapshot, layout, problems + merged, now, within)

        return await merge(parse_base(state), theirs, rewrite, accept)

    async def _rewrite(
        self,
        state: SyncState | None,
        snapshot: Snapshot,
        layout: ParsedFile | None,
        problems: list[Problem],
        now: datetime,
        within: Any = None,
    ) -> list[Problem] | None:
        text = await self._render(layout, snapshot.text, now, within)
        pending = _failed_texts(layout)
        if text == snapshot.text:
            data = snapshot.data
            if data is not None and (state is None or state.base != data):
                stamp = await asyncio.to_thread(Stamp.of, self.files.path, data)
                await asyncio.to_thread(self.files.save_state, stamp, data, pending)
            return problems
        data = text.encode("utf-8")
        written = await asyncio.to_thread(self._write, snapshot, data, pending, now)
        return None if written is None else _relocate(problems, text)

    def _write(
        self, snapshot: Snapshot, data: bytes, pending: list[str], now: datetime
    ) -> Stamp | None:
        """Replace the file unless someone saved since `snapshot`, then record the write
        (in a worker thread: an fsync must not hold up the event loop)."""
        stamp = atomic_write(self.files.path, data, still_ok=lambda: self._still(snapshot))
        if stamp is not None:
            self.files.save_state(stamp, data, pending)
            self.history.add(data, "rewrite", now)
        return stamp

    def _still(self, snapshot: Snapshot) -> bool:
        """Is the file on disk still what this pass read? (Checked just before replacing.)"""
        return self.files.read().data == snapshot.data

    async def _render(
        self, layout: ParsedFile | None, current: str | None, now: datetime, within: Any = None
    ) -> str:
        """Keep `Last Updated` unless something else in the file changes."""
        board = await self.source.board(within)
        drawn = draw_working(board, workspace_name=self.workspace.name, layout=layout, tz=self.tz)
        if layout is not None and layout.last_updated:
            text = drawn.text(layout.last_updated)
            if text == current:
                return text
        return drawn.text(iso_z(now) or "")


async def _to_its_end(work: Coroutine[Any, Any, T]) -> T:
    """Await `work` to its end; a cancellation that came meanwhile is raised after it."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                raise  # `work` itself was cancelled
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return result


def _key(problem: Problem) -> tuple[str, str]:
    return problem.reason, problem.text


def _not_synced(reason: str) -> Problem:
    return Problem(0, f"WORKING.md is not synced: {reason}", "")


def parse_base(state: SyncState | None) -> ParsedFile | None:
    """The file we last wrote, with the lines that failed to apply then."""
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
