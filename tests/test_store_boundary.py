"""One store boundary: only maos_tui/store/ touches the tables. Everything else calls the
store's services and read views (store/views.py), so the rules a write keeps (its row and
an Activity in one transaction, published after commit) and the SQL each database needs
live in one place.

Checked by reading the source, not by importing it: an import inside a function or under
`if TYPE_CHECKING:` counts as much as one at the top. `lint-imports` checks which way the
packages depend (the contracts in pyproject.toml)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import maos_tui

PACKAGE = Path(maos_tui.__file__).resolve().parent
ROOT = PACKAGE.parent

# What only the store may import: the table models and the SQL toolkits they are built on.
_STORE_ONLY = ("sqlalchemy", "sqlmodel", "maos_tui.store.models")


def _store_only(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in _STORE_ONLY)


def _package_of(path: Path) -> str:
    """The dotted package a module of maos_tui is in (for relative imports)."""
    return ".".join(path.relative_to(ROOT).parts[:-1])


def store_only_imports(source: str, package: str) -> list[str]:
    """`line: module` for each import of what only the store may import, anywhere in the
    module (inside functions, classes and `if TYPE_CHECKING:` blocks too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from ..store import models`, relative to this package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from maos_tui.store import models` imports the module `models`.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if _store_only(name)]
    return sorted(set(found), key=lambda entry: int(entry.split(":")[0]))


def _modules_outside_the_store() -> dict[str, Path]:
    store = PACKAGE / "store"
    return {
        path.relative_to(ROOT).as_posix(): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if store not in path.parents
    }


def _violations() -> dict[str, list[str]]:
    found = {}
    for name, path in _modules_outside_the_store().items():
        imports = store_only_imports(path.read_text(encoding="utf-8"), _package_of(path))
        if imports:
            found[name] = imports
    return found


def test_only_the_store_imports_the_table_models_or_sqlalchemy() -> None:
    violations = _violations()
    assert not violations, (
        "only maos_tui/store/ may import the table models or SQLAlchemy; give the store a "
        f"service method or a read view (store/views.py) instead: {violations}"
    )


def test_the_scan_sees_every_module_outside_the_store() -> None:
    modules = _modules_outside_the_store()
    assert "maos_tui/tui/app.py" in modules and "maos_tui/working_md/sync.py" in modules
    assert not any(name.startswith("maos_tui/store/") for name in modules)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "import sqlalchemy",
        "import sqlalchemy.ext.asyncio as sa",
        "from sqlalchemy.ext.asyncio import AsyncConnection",
        "from sqlmodel import select",
        "from maos_tui.store.models import Task",
        "from maos_tui.store import models",
        "import maos_tui.store.models",
        "from ..store.models import Task",
        "from ..store import models",
        # Inside a function, and for type hints only: still a way around the services.
        "def read():\n    from sqlalchemy import text\n    return text",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from sqlalchemy.ext.asyncio import AsyncConnection",
        "class Screen:\n    async def load(self):\n        from maos_tui.store.models import Run",
    ],
)
def test_the_scan_finds_each_way_of_importing_them(source: str) -> None:
    assert store_only_imports(source, "maos_tui.tui")


@pytest.mark.parametrize(
    "source",
    [
        "from maos_tui.store import Store, StoreError",
        "from maos_tui.store.views import ReadView, read_view",
        "from maos_tui.store.records import TaskRunFigures",
        "from .models import Task",  # maos_tui.tui.models, not the store's
        "import sqlalchemy_utils_lookalike",
    ],
)
def test_the_scan_lets_the_store_services_and_views_through(source: str) -> None:
    assert store_only_imports(source, "maos_tui.tui") == []


def test_the_import_contracts_hold() -> None:
    """pyproject.toml's [tool.importlinter]: the store and the domain import nothing from
    the layers around them, and only the TUI imports Textual."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is not installed: pip install -e '.[test]'"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
