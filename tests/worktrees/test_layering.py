"""The worktree layer is pure git: importing all of it loads no UI, model or database code."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, pkgutil, importlib, sys
import maos_tui.worktrees as package
for module in pkgutil.iter_modules(package.__path__):
    importlib.import_module(f"maos_tui.worktrees.{module.name}")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("maos_tui.")})))
"""


def test_the_layer_imports_no_textual_litellm_or_store() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "maos_tui.worktrees.toolbox" in loaded
    forbidden = {
        "textual",
        "litellm",
        "sqlalchemy",
        "sqlmodel",
        "mcp",
        "maos_tui.store",
        "maos_tui.agents",
    }
    assert not (loaded & forbidden), loaded & forbidden
