"""Loop detection for one run: an agent repeating itself instead of making progress.

Pure bookkeeping, no I/O. A runner reports what its agent does (through the run hooks'
`observe`), and the detector answers with a Loop once a pattern reaches its threshold
(the `loop_*` settings of `[scheduler]`):

- `call`: a tool call, as "NAME ARGUMENTS" (the JSON arguments are compared canonically:
  key order and spacing do not matter); the same call `loop_same_call` times in the run;
- `text`: an assistant text (spacing ignored); the same text `loop_same_text` times;
- `error`: a tool error; the same error `loop_same_error` times in a row (`ok`, a tool
  reply that is no error, ends the row);
- `output`: one line of a command agent's output; the same block of `loop_output_lines`
  non-blank lines `loop_output_repeats` times, the occurrences not overlapping.

The first Loop of a pattern is a nudge: the agent is told and may change course. The same
call, text or error reaching its threshold again after that (the next identical call, the
error row going on) escalates: the run is to be stopped. Output restarts its counts after
the nudge (a command agent may not hear it), and escalates when a block repeats
`loop_output_repeats` times again.

A work run in a worktree is watched for progress too, by its diff (scheduler/diff_loops.py):
its Loops are of pattern `diff`.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from maos_tui.agents.secrets import scrub

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings

SHOWN_CHARS = 200  # of the repeated call, text or error, in the evidence
# A block of output must hold this many visible characters to count: a run of blank-ish
# lines or bare prompts ("> ") repeating is no sign of a loop.
MIN_BLOCK_CHARS = 24
# Output blocks remembered, the most recently seen: a loop repeats within a few screens,
# and a CLI printing for hours must not grow the run's memory without end.
MAX_BLOCKS = 4096
KINDS = ("call", "text", "error", "ok", "output")
_NAMES = {
    "call": "tool call",
    "text": "assistant text",
    "error": "tool error",
    "output": "output block",
}


@dataclass(frozen=True, slots=True)
class LoopLimits:
    same_call: int = 4
    same_text: int = 3
    same_error: int = 3
    output_lines: int = 3
    output_repeats: int = 3

    @classmethod
    def of(cls, settings: SchedulerSettings) -> LoopLimits:
        return cls(
            settings.loop_same_call,
            settings.loop_same_text,
            settings.loop_same_error,
            settings.loop_output_lines,
            settings.loop_output_repeats,
        )


@dataclass(frozen=True, slots=True)
class Loop:
    pattern: str  # call | text | error | output | diff
    shown: str  # the repeated thing, shortened to one line (for a diff: how long unchanged)
    count: int  # how many times (in a row, for an error) it was seen; a diff's steps
    escalate: bool  # it went on after its nudge: stop the run

    @property
    def evidence(self) -> str:
        if self.pattern == "diff":
            return f"the worktree's diff unchanged for {self.shown}"
        row = " in a row" if self.pattern == "error" else ""
        return f"the same {_NAMES[self.pattern]} {self.count} times{row}: {self.shown}"

    @property
    def nudge(self) -> str:
        """What the agent is told."""
        if self.pattern == "diff":
            said = (
                f"you are not making progress ({self.evidence}). If the task needs no change "
                "to files, finish it with complete_task; if you are stuck, call "
                "fail_task(reason) saying why."
            )
        else:
            said = (
                f"you are repeating yourself ({self.evidence}). That is not making progress. "
                "Do something different; if you are stuck, call fail_task(reason) saying why."
            )
        return f"maos-tui: {said} If it goes on, the run is stopped and a person is asked to look."


def one_line(text: str) -> str:
    """Shortened for the evidence, which the store keeps: scrubbed first, so no secret the
    agent repeated survives, not even cut in two."""
    flat = " ".join(scrub(text).split())
    return flat if len(flat) <= SHOWN_CHARS else flat[: SHOWN_CHARS - 1] + "…"


def canonical_call(payload: str) -> str:
    """ "NAME ARGUMENTS" with the arguments as sorted, compact JSON (as sent, if not JSON)."""
    name, _, raw = payload.partition(" ")
    try:
        arguments = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except ValueError:
        arguments = raw.strip()
    return f"{name} {arguments}".rstrip()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class LoopDetector:
    def __init__(self, limits: LoopLimits) -> None:
        self.limits = limits
        self._counts: dict[tuple[str, str], int] = {}
        self._nudged: set[tuple[str, str]] = set()
        self._error_row: tuple[str, int] = ("", 0)  # the last error's digest, its row
        self._window: deque[str] = deque(maxlen=limits.output_lines)
        self._lines = 0  # non-blank output lines seen
        self._blocks: dict[str, tuple[int, int]] = {}  # digest: (count, line it ended at)
        self._output_nudged = 0  # how many times the nudged block had been seen

    def observe(self, kind: str, payload: str) -> Loop | None:
        """Take one event of the run; a Loop when it completes a pattern."""
        if kind == "call":
            shown = canonical_call(payload)
            return self._counted("call", shown, self.limits.same_call)
        if kind == "text":
            if not payload.strip():
                return None
            return self._counted("text", " ".join(payload.split()), self.limits.same_text)
        if kind == "error":
            return self._error(payload)
        if kind == "ok":
            self._error_row = ("", 0)
            return None
        if kind == "output":
            return self._output(payload)
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")

    def _counted(self, pattern: str, shown: str, limit: int) -> Loop | None:
        key = (pattern, _digest(shown))
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return self._verdict(key, shown, count, limit)

    def _verdict(self, key: tuple[str, str], shown: str, count: int, limit: int) -> Loop | None:
        if count < limit:
            return None
        escalate = key in self._nudged
        self._nudged.add(key)
        return Loop(key[0], one_line(shown), count, escalate)

    def _error(self, text: str) -> Loop | None:
        digest = _digest(" ".join(text.split()))
        last, row = self._error_row
        row = row + 1 if digest == last else 1
        self._error_row = (digest, row)
        return self._verdict(("error", digest), text, row, self.limits.same_error)

    def _output(self, line: str) -> Loop | None:
        text = line.strip()
        if not text:
            return None
        self._window.append(text)
        self._lines += 1
        size = self.limits.output_lines
        if len(self._window) < size:
            return None
        block = "\n".join(self._window)
        if sum(not c.isspace() for c in block) < MIN_BLOCK_CHARS or len(set(self._window)) < min(
            2, size
        ):
            # One line over and over is a flood, a spinner or a progress bar: output that
            # goes on, not an agent going round the same steps (unless blocks are one line).
            return None
        digest = _digest(block)
        count, ended = self._blocks.get(digest, (0, -size))
        if self._lines - ended < size:
            return None  # overlaps its last occurrence
        count += 1
        self._blocks.pop(digest, None)  # to the end: the dict is kept in order of use
        self._blocks[digest] = (count, self._lines)
        if len(self._blocks) > MAX_BLOCKS:
            del self._blocks[next(iter(self._blocks))]
        if count < self.limits.output_repeats:
            return None
        # Counted afresh from here: the same cycle seen from a line later is another block,
        # and must not count as going on right after the nudge.
        self._blocks.clear()
        shown = one_line(" ⏎ ".join(self._window))
        if self._output_nudged:
            return Loop("output", shown, self._output_nudged + count, escalate=True)
        self._output_nudged = count
        return Loop("output", shown, count, escalate=False)
