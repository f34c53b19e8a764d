"""Saves of WORKING.md that are held instead of applied, until the user confirms them.

A line deleted from the file archives its task. That is what a person deleting a line
wants, but the same deletions also come from accidents that look like edits:
- a file cut short (a full disk, a crashed editor, `head -c`): many tasks at once;
- an editor buffer older than our last write, saved over it: the tasks added since;
- one line's ID changed into another's: the task it named.

`hold_reasons` tells such a save from a plain edit, before anything is applied. The pass then
leaves the store and the file as they are and reports it; `working sync --accept` applies it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from maos_tui.domain import TaskRecord
from maos_tui.working_md.parse import ParsedFile, Problem, TaskLine

# More archives than this in one save are held (a person deletes a line or two at a time).
HOLD_ARCHIVES_OVER = 2
HELD = "this save is held, not applied"
ACCEPT_HINT = "apply it with `maos-tui working sync --accept`, or fix the file"
_SHOWN_IDS = 5
_LINE_ID = re.compile(r"\[[^\]]*\]")


class HeldEdit(Exception):
    """Raised by the merge, before it changes anything, for a save it must not apply."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.problem = Problem(0, f"{HELD}: {'; '.join(reasons)}; {ACCEPT_HINT}", "")


def is_held(problem: Problem) -> bool:
    return problem.reason.startswith(HELD)


def hold_reasons(
    base: ParsedFile,
    theirs: ParsedFile,
    doomed: Sequence[TaskLine],
    ours: Mapping[str, TaskRecord],
    limit: int = HOLD_ARCHIVES_OVER,
) -> list[str]:
    """Why the save `theirs` must be held; `doomed` are the base lines it would archive."""
    if not doomed:
        return []
    reasons = []
    if len(doomed) > limit:
        reasons.append(f"it would archive {len(doomed)} tasks ({_ids(doomed)})")
    added = _added_since(theirs.last_updated, base.last_updated, doomed, ours)
    if added:
        reasons.append(
            f"it was saved from a copy older than the file maos-tui last wrote (Last Updated "
            f"{theirs.last_updated}) and would archive {_ids(added)}, added since"
        )
    reasons += _renumbered(theirs, doomed)
    return reasons


def _ids(lines: Sequence[TaskLine]) -> str:
    ids = [line.id or "?" for line in lines]
    more = len(ids) - _SHOWN_IDS
    return ", ".join(ids[:_SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _added_since(
    theirs_updated: str | None,
    base_updated: str | None,
    doomed: Sequence[TaskLine],
    ours: Mapping[str, TaskRecord],
) -> list[TaskLine]:
    """The doomed tasks created after the write the saved copy came from (its `Last
    Updated`), when that is not our last write: the editor never showed them."""
    seen = _when(theirs_updated)
    if seen is None or theirs_updated == base_updated:
        return []
    added = []
    for line in doomed:
        task = ours.get(line.id or "")
        if task is None:
            continue
        created = task.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        # Last Updated has whole seconds: a task of that very second counts as added since.
        if created.replace(microsecond=0) >= seen:
            added.append(line)
    return added


def _renumbered(theirs: ParsedFile, doomed: Sequence[TaskLine]) -> list[str]:
    """A doomed task whose line is still in the file under another ID."""
    others: dict[str, int] = {}
    for entries in theirs.entries.values():
        for entry in entries:
            others.setdefault(_LINE_ID.sub("[]", entry.text, count=1), entry.lineno)
    reasons = []
    for line in doomed:
        found = others.get(_LINE_ID.sub("[]", line.text, count=1))
        if found is not None:
            reasons.append(f"line {found} changes the ID of {line.id}, which would archive it")
    return reasons
