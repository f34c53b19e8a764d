"""The README's `claude -p`, `codex exec` and `aider` agent tables, loaded as written and run
against stand-in programs of those names that check the argv and stdin contract."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from fakes.support import make_scheduler, run_until_idle

from maos_tui.domain import TaskStatus
from maos_tui.store import Store

README = Path(__file__).parents[2] / "README.md"
STAND_IN = f"""#!{sys.executable}
import json, os, sys
argv = sys.argv[1:]
if "--message-file" in argv:  # aider reads its prompt from the named file
    with open(argv[argv.index("--message-file") + 1], encoding="utf-8") as handle:
        prompt = handle.read()
else:
    prompt = sys.stdin.read()
task = json.loads(prompt)["task"]
assert os.getcwd() == os.environ["MAOS_WORKSPACE"]
print("thinking...")
print(f"{{os.path.basename(sys.argv[0])}} {{' '.join(argv)}} did {{task['title']}}")
"""


def readme_wrapper_agents() -> list[dict[str, object]]:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    block = next(b for b in blocks if 'name = "claude"' in b)
    return tomllib.loads(block)["agents"]


async def test_readme_cli_wrappers_run(
    store: Store, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = readme_wrapper_agents()
    assert [t["name"] for t in tables] == ["claude", "codex", "aider"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for table in tables:
        program = bin_dir / str(table["command"][0])  # type: ignore[index]
        program.write_text(STAND_IN, encoding="utf-8")
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    await store.agents.sync_config(tables)
    ids = {
        t["name"]: (await store.tasks.create(f"fix {t['name']}", assignees=[str(t["name"])])).id
        for t in tables
    }
    await run_until_idle(make_scheduler(store, workspace))
    for table in tables:
        task = await store.tasks.get(ids[str(table["name"])])
        argv = " ".join(str(a) for a in table["command"])  # type: ignore[attr-defined]
        assert task.status is TaskStatus.DONE, task.last_error
        assert task.result == f"{argv} did fix {table['name']}"
