"""Files shipped with the package (themes, the WORKING.md template).

A wheel carries them inside `maos_tui/` (hatch force-include); an editable install runs
from the source tree, where they sit one level up. The packaged copy wins.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"maos-tui is missing its bundled {name}; reinstall the package")


def themes_dir() -> Path:
    return resource_path("themes")


def working_template() -> str:
    return resource_path("WORKING.md.template").read_text(encoding="utf-8")
