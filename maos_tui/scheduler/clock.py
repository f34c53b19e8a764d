"""Time and randomness the scheduler depends on, injectable so backoff is testable."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from maos_tui.domain import utcnow


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


def backoff_seconds(
    attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Delay before retry number `attempt` (1, 2, ...): exponential, capped, with jitter.

    The jitter keeps the upper half of the exponential step ("equal jitter"), so retries of
    many tasks failing together spread out yet never come back sooner than half the step.
    """
    step = min(cap, base * 2 ** max(0, attempt - 1))
    return step / 2 + step / 2 * rand()
