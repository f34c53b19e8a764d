"""The floor a run stands on: how long this machine, as loaded as it is now, takes to start
the interpreter and to import Textual. Measured in the same run as the scenarios, it lets
a start-up or CLI figure be read as a multiple of the floor, so a slow machine can be told
from a slow change (the same code has measured up to 2x apart on two machines)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from benchmarks.harness import Options, Result, median

# The figures set against the floor, by scenario name: start-up and CLI runs, which are
# mostly interpreter start and imports, as the floor is.
_AGAINST_FLOOR = ("startup-", "first-dispatch-", "cli-", "idle-exit")
_SECONDS = {"s": 1.0, "ms": 0.001}


@dataclass(frozen=True)
class Floor:
    interpreter: float  # seconds: `python -c pass`
    textual: float  # seconds: `python -c "import textual.app"`, the floor itself

    def multiple(self, result: Result) -> float | None:
        """The figure over the floor, for the time figures of start-up and CLI runs."""
        if result.measured is None or result.scenario.target.unit not in _SECONDS:
            return None
        if not result.scenario.name.startswith(_AGAINST_FLOOR):
            return None
        return result.measured.value * _SECONDS[result.scenario.target.unit] / self.textual

    def describe(self) -> str:
        return (
            f"floor (x floor): interpreter start + import textual.app "
            f"{self.textual * 1000:.0f} ms, of which interpreter start "
            f"{self.interpreter * 1000:.0f} ms (medians, this run)"
        )


def _timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def measure_floor(options: Options) -> Floor:
    _timed("import textual.app")  # unmeasured: bytecode and file caches warm
    runs = options.runs(10, 3)
    return Floor(
        interpreter=median([_timed("pass") for _ in range(runs)]),
        textual=median([_timed("import textual.app") for _ in range(runs)]),
    )
