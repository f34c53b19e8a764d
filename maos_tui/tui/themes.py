"""Themes as files: `themes/*.toml` shipped with the package, then the user's own folder.

A theme file that cannot be used becomes one problem line for the UI to show; it never
stops the app. Every theme must define the priority and status colours the board uses.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from maos_tui.safe_read import read_regular_text

DEFAULT_THEME = "maos-dark"
_BASE_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
)
BOARD_VARIABLES = (
    *(f"priority-{p}" for p in range(4)),
    *(f"status-{s}" for s in ("idle", "active", "blocked", "offline", "paused")),
)
# For Textual's own themes, which know nothing of priorities: neutral, readable hues.
VARIABLE_FALLBACKS = {
    "priority-0": "#e06c6c",
    "priority-1": "#e0a458",
    "priority-2": "#5f9ee0",
    "priority-3": "#808080",
    "status-idle": "#7fbf7f",
    "status-active": "#5f9ee0",
    "status-blocked": "#e6c36a",
    "status-offline": "#808080",
    "status-paused": "#a78bdb",
}


class ThemeFileError(ValueError):
    """A theme file is unusable; the message names the file and what is wrong."""


@dataclass
class ThemeCatalog:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"theme {path.name}: {key} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"theme {path.name}: {key} = {value!r} is not a colour") from None
    return value


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(read_regular_text(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"theme {path.name}: cannot read it ({exc})") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ThemeFileError(f"theme {path.name}: invalid TOML ({exc})") from None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"theme {path.name}: missing key name")
    if not isinstance(data.get("dark"), bool):
        raise ThemeFileError(f"theme {path.name}: dark must be true or false")
    colours = {}
    for key in _BASE_COLOURS:
        if key not in data:
            raise ThemeFileError(f"theme {path.name}: missing key {key}")
        colours[key] = _colour(path, key, data[key])
    if "foreground" in data:
        colours["foreground"] = _colour(path, "foreground", data["foreground"])
    raw_vars = data.get("variables", {})
    if not isinstance(raw_vars, dict):
        raise ThemeFileError(f"theme {path.name}: [variables] must be a table")
    missing = [v for v in BOARD_VARIABLES if v not in raw_vars]
    if missing:
        raise ThemeFileError(f"theme {path.name}: missing variable {missing[0]}")
    variables = {str(k): _colour(path, f"variables.{k}", v) for k, v in raw_vars.items()}
    return Theme(name=name.strip(), dark=data["dark"], variables=variables, **colours)


def load_themes(*folders: Path) -> ThemeCatalog:
    """Every `*.toml` in the folders, in order; a later theme of the same name wins."""
    catalog = ThemeCatalog()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                catalog.themes.append(load_theme_file(path))
            except ThemeFileError as exc:
                catalog.problems.append(f"{exc}; using {DEFAULT_THEME} instead")
    return catalog
