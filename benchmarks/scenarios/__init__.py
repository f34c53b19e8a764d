"""Scenario modules register themselves with `benchmarks.harness.scenario` on import."""

from __future__ import annotations

import importlib

# Table order: what the user feels first (the board), then the CLI, then the engine.
MODULES = (
    "startup",
    "startup_idle",
    "dispatch_first",
    "keys",
    "cli",
    "working",
    "scheduler",
    "dispatch_workers",
    "events",
    "feed",
    "boards",
    "agents",
    "search",
    "forecast",
    "worktrees",
    "diff_open",
    "insights_open",
    "mcp",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"benchmarks.scenarios.{name}")
