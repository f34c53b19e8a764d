"""Scenario registry, timing statistics and the figures scenarios report."""

from __future__ import annotations

import math
import statistics
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


class Unavailable(Exception):
    """The scenario cannot run yet (its subsystem has not landed); the message says why."""


@dataclass(frozen=True)
class Target:
    limit: float | None  # None: the figure is reported, with no target to meet
    unit: str
    higher_is_better: bool = False

    def met(self, value: float) -> bool | None:
        if self.limit is None:
            return None
        return value >= self.limit if self.higher_is_better else value <= self.limit

    def __str__(self) -> str:
        if self.limit is None:
            return "reported"
        return f"{'≥' if self.higher_is_better else '≤'} {self.limit:g} {self.unit}"


@dataclass(frozen=True)
class Measured:
    """What a scenario returns: the headline value (in the target's unit) and how it was got."""

    value: float
    detail: str = ""


@dataclass(frozen=True)
class Options:
    quick: bool = False

    def runs(self, full: int, quick: int = 1) -> int:
        return quick if self.quick else full


Runner = Callable[[Options], Measured]


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    target: Target
    run: Runner


REGISTRY: dict[str, Scenario] = {}


def scenario(name: str, what: str, target: Target) -> Callable[[Runner], Runner]:
    def register(run: Runner) -> Runner:
        if name in REGISTRY:
            raise ValueError(f"duplicate benchmark {name}")
        REGISTRY[name] = Scenario(name, what, target, run)
        return run

    return register


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    measured: Measured | None = None
    unavailable: str | None = None
    error: str | None = None

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.scenario.target.met(self.measured.value)


def run_scenario(item: Scenario, options: Options) -> Result:
    try:
        return Result(item, measured=item.run(options))
    except Unavailable as exc:
        return Result(item, unavailable=str(exc))
    except Exception as exc:
        # One crashing scenario must not cost the others' figures; the run still fails.
        traceback.print_exc()
        return Result(item, error=f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------- statistics


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    """Nearest-rank 95th percentile: a value that was actually observed."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def number(value: float) -> str:
    """Three significant digits, without the exponent `:g` would use for 1,234."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def summary(samples: Sequence[float], unit: str, scale: float = 1.0) -> str:
    shown = [s * scale for s in samples]
    return (
        f"n={len(shown)} median {number(median(shown))} {unit}, "
        f"p95 {number(p95(shown))} {unit}, max {number(max(shown))} {unit}"
    )


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` leaves the elapsed seconds in `t[0]`."""
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)
