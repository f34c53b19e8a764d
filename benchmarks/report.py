"""The results as a plain-text table (default) or JSON (`--json`)."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from typing import Any

from benchmarks.floor import Floor
from benchmarks.harness import Result, number


def machine() -> dict[str, Any]:
    # Load average is reported because the figures are only as quiet as the machine was.
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "load_1m": round(load[0], 2) if load else None,
    }


def _value(result: Result) -> str:
    if result.error is not None:
        return f"failed ({result.error})"
    if result.measured is None:
        return f"not available ({result.unavailable})"
    return f"{number(result.measured.value)} {result.scenario.target.unit}"


def _met(result: Result) -> str:
    return {True: "met", False: "NOT MET", None: "-"}[result.met]


def _times(multiple: float | None) -> str:
    return "" if multiple is None else f"{multiple:.1f}x"


def as_table(results: Sequence[Result], floor: Floor, quick: bool) -> str:
    rows = [("scenario", "value", "x floor", "target", "met", "how")]
    for r in results:
        detail = r.measured.detail if r.measured else ""
        times = _times(floor.multiple(r))
        rows.append((r.scenario.name, _value(r), times, str(r.scenario.target), _met(r), detail))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]
    info = machine()
    lines.append("")
    lines.append(
        f"machine: {info['cores']} cores, Python {info['python']}, {info['platform']}, "
        f"load {info['load_1m']}" + (" (--quick: too few runs to quote)" if quick else "")
    )
    lines.append(floor.describe())
    return "\n".join(line.rstrip() for line in lines)


def as_json(results: Sequence[Result], floor: Floor, quick: bool) -> str:
    payload = {
        "machine": machine(),
        "floor": {"interpreter_s": floor.interpreter, "import_textual_s": floor.textual},
        "quick": quick,
        "results": [
            {
                "name": r.scenario.name,
                "what": r.scenario.what,
                "value": r.measured.value if r.measured else None,
                "unit": r.scenario.target.unit,
                "target": str(r.scenario.target),
                "x_floor": floor.multiple(r),
                "met": r.met,
                "detail": r.measured.detail if r.measured else None,
                "unavailable": r.unavailable,
                "error": r.error,
            }
            for r in results
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)
