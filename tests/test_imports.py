"""Import hygiene: litellm costs seconds to import, so the CLI and the board's first paint
must never load it (only a scheduler that is about to call a model does)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Cli

# Runs the real entry point in a fresh interpreter, then reports which litellm modules
# ended up loaded. TEXTUAL_DRIVER swaps in the headless driver: no terminal needed.
_PROBE = """
import json, sys
from maos_tui.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "litellm": sorted(
    m for m in sys.modules if m == "litellm" or m.startswith("litellm.")
)}))
"""


def loaded_litellm(cli: Cli, *args: str, **env: str) -> tuple[list[str], str]:
    """The litellm modules loaded by `maos-tui *args`, and what it wrote to stderr."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--workspace", str(cli.workspace), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli.env(**env),
        cwd=cli.workspace,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return report["litellm"], done.stderr


def with_llm_agent(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")


def test_task_add_does_not_import_litellm(cli: Cli) -> None:
    with_llm_agent(cli)
    loaded, _ = loaded_litellm(cli, "task", "add", "Write the docs")
    assert loaded == []


def test_first_paint_does_not_import_litellm(cli: Cli) -> None:
    with_llm_agent(cli)
    cli.ok("task", "add", "Write the docs", "--assign", "coder")
    loaded, stderr = loaded_litellm(
        cli,
        MAOS_BENCH_EXIT_AFTER_PAINT="1",
        TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver",
    )
    assert "first paint" in stderr  # the board really painted before the app exited
    assert loaded == []
