"""Workspace discovery and configuration (user config, then the workspace's .maos/config.toml).

Nothing is created at import time: paths are computed, files are read on demand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui.safe_read import read_regular_text

if TYPE_CHECKING:
    # The schema and its checks load only when a config file exists or settings are asked
    # for: most commands run without a config file, and every command starts here.
    from maos_tui.config_checks import Problem
    from maos_tui.config_schema import SchedulerSettings, WorkspaceSettings

MAOS_DIR = ".maos"
WORKING_FILE = "WORKING.md"


class ConfigError(ValueError):
    """Bad workspace or config; the message names the file (and line and key when known)."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def name(self) -> str:
        return self.root.name or str(self.root)

    @property
    def maos_dir(self) -> Path:
        return self.root / MAOS_DIR

    @property
    def db_path(self) -> Path:
        return self.maos_dir / "state.db"

    @property
    def config_path(self) -> Path:
        return self.maos_dir / "config.toml"

    @property
    def history_dir(self) -> Path:
        return self.maos_dir / "history"

    @property
    def working_md(self) -> Path:
        return self.root / WORKING_FILE

    def default_db_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db_path}"

    def ensure_dirs(self) -> None:
        """Create .maos/ and history/ user-only: they hold the plan of work and run logs."""
        for folder in (self.maos_dir, self.history_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def resolve_workspace(
    explicit: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Workspace:
    """--workspace, then $MAOS_WORKSPACE, then the nearest parent with .maos/, then cwd."""
    env = os.environ if env is None else env
    chosen = explicit if explicit not in (None, "") else env.get("MAOS_WORKSPACE") or None
    if chosen is not None:
        root = Path(chosen).expanduser()
        if root.exists() and not root.is_dir():
            raise ConfigError(f"workspace path {root} is a file, not a folder")
        return Workspace(root.resolve())
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / MAOS_DIR).is_dir():
            return Workspace(folder)
    return Workspace(start)


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("MAOS_CONFIG"):
        return Path(env["MAOS_CONFIG"]).expanduser()
    import platformdirs  # deferred: only needed when no override is given

    return Path(platformdirs.user_config_dir("maos-tui")) / "config.toml"


def user_themes_dir(env: Mapping[str, str] | None = None) -> Path:
    return user_config_path(env).parent / "themes"


@dataclass(frozen=True)
class Config:
    """The merged, checked configuration; `sources` remembers which file each top-level key
    came from, `warnings` what was ignored (each names its file and line)."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def default_model(self) -> str | None:
        value = self.data.get("default_model")
        return str(value) if value else None

    @property
    def theme(self) -> str | None:
        value = self.data.get("theme")
        return str(value) if value else None

    @property
    def user_name(self) -> str:
        return str(self.data.get("user_name") or "human")

    @property
    def keymap(self) -> dict[str, str]:
        return dict(self.table("keymap"))

    @property
    def pricing(self) -> dict[str, dict[str, float]]:
        return {str(k): dict(v) for k, v in self.table("pricing").items()}

    @property
    def agents(self) -> list[dict[str, Any]]:
        return list(self.data.get("agents", []))

    def table(self, key: str) -> dict[str, Any]:
        return self.data.get(key, {})

    def scheduler(self) -> SchedulerSettings:
        from maos_tui.config_schema import SchedulerSettings

        return SchedulerSettings(**self.table("scheduler"))

    def workspace_settings(self) -> WorkspaceSettings:
        from maos_tui.config_schema import WorkspaceSettings

        return WorkspaceSettings(**self.table("workspace"))

    def error(self, key: str, problem: str, *, line_key: str | None = None) -> ConfigError:
        """An error about `key` ("table.name"; `line_key` is the name when it holds a dot)."""
        from maos_tui.config_checks import ERROR, Problem
        from maos_tui.config_lines import LineIndex

        top, _, rest = key.partition(".")
        path = (top, line_key or rest) if rest else (top,)
        file = self.sources.get(top)
        line = LineIndex(self.texts.get(file, "")).line_of(path) if file else None
        return ConfigError(str(Problem(ERROR, problem, file, line, path)))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def inspect_config(
    workspace: Workspace | None, env: Mapping[str, str] | None = None
) -> tuple[Config, list[Problem]]:
    """User config first, the workspace's .maos/config.toml on top of it, each checked;
    every problem of both files, and the config without the keys they concern."""
    paths = [user_config_path(env)]
    if workspace is not None:
        paths.append(workspace.config_path)
    data: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    texts: dict[Path, str] = {}
    problems: list[Problem] = []
    for path in paths:
        if not os.path.lexists(path):
            continue
        from maos_tui.config_checks import read_and_check

        layer, text, found = read_and_check(path)
        problems += found
        if not layer:
            continue
        texts[path] = text
        data = _merge(data, layer)
        sources.update(dict.fromkeys(layer, path))
    warnings = tuple(str(p) for p in problems if p.level == "warning")
    return Config(data=data, sources=sources, texts=texts, warnings=warnings), problems


def load_config(workspace: Workspace | None, env: Mapping[str, str] | None = None) -> Config:
    """The checked config; ConfigError naming the first error (file, line, key) if any."""
    config, problems = inspect_config(workspace, env)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more; `maos-tui doctor` lists them)"
        raise ConfigError(f"{errors[0]}{more if len(errors) > 1 else ''}")
    return config


def save_user_setting(key: str, value: str, env: Mapping[str, str] | None = None) -> Path:
    """Set a top-level string key in the user config, keeping every other line as written."""
    path = user_config_path(env)
    text = read_regular_text(path) if path.exists() else ""
    line = f"{key} = {_toml_string(value)}"
    pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
    # Top-level keys must precede the first table header to stay top-level.
    first_table = re.search(r"^\[", text, re.MULTILINE)
    head_end = first_table.start() if first_table else len(text)
    match = pattern.search(text, 0, head_end)
    text = text[: match.start()] + line + text[match.end() :] if match else f"{line}\n{text}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
