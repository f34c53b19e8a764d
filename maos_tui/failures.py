"""Background failures said once: a loop that fails on every pass (a full disk, a locked
database) says each failure in one line and counts the repeats, instead of printing a
traceback per pass."""

from __future__ import annotations

import logging
import time

from maos_tui.domain import DomainError
from maos_tui.store.errors import StoreError

# A failure that keeps coming back is said again, with its count, at most this often.
REPEAT_SECONDS = 60.0


class Failures:
    """One line per failure; the same cause again (on any run) is counted, and said again
    with its count at most every REPEAT_SECONDS."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._cause: str | None = None
        self._repeats = 0
        self._said_at = 0.0

    def report(self, what: str, exc: BaseException) -> None:
        known = isinstance(exc, (StoreError, DomainError, OSError))
        cause = str(exc) if known else f"{type(exc).__name__}: {exc}"
        now = time.monotonic()
        if cause == self._cause:
            self._repeats += 1
            if now - self._said_at < REPEAT_SECONDS:
                return
            self._log.error("%s: %s (%d times so far)", what, cause, self._repeats + 1)
        else:
            if self._repeats:
                self._log.error("(the failure before happened %d more times)", self._repeats)
            self._cause, self._repeats = cause, 0
            # A store or OS error is the user's to fix and its message says how; anything else
            # is a bug, whose traceback is needed once.
            self._log.error("%s: %s", what, cause, exc_info=None if known else exc)
        self._said_at = now
