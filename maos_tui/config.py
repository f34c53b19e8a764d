"""Workspace discovery and configuration (user config, then the workspace's .maos/config.toml).

Nothing is created at import time: paths are computed, files are read on demand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
class SchedulerSettings:
    max_parallel: int = 4
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    max_retries: int = 3
    step_limit: int = 12
    max_tool_calls: int = 50
    max_subtasks: int = 20
    budget_usd: float | None = None
    budget_tokens: int | None = None


_SCHEDULER_TYPES: dict[str, type] = {
    "max_parallel": int,
    "retry_base_seconds": float,
    "retry_max_seconds": float,
    "max_retries": int,
    "step_limit": int,
    "max_tool_calls": int,
    "max_subtasks": int,
    "budget_usd": float,
    "budget_tokens": int,
}


@dataclass(frozen=True)
class Config:
    """The merged configuration; `sources` remembers which file each top-level key came from."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)

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
        return {str(k): str(v) for k, v in self.table("keymap").items()}

    @property
    def pricing(self) -> dict[str, dict[str, float]]:
        return {str(k): dict(v) for k, v in self.table("pricing").items() if isinstance(v, dict)}

    @property
    def agents(self) -> list[dict[str, Any]]:
        value = self.data.get("agents", [])
        if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
            raise self.error("agents", "must be an array of tables ([[agents]])")
        return value

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return value

    def scheduler(self) -> SchedulerSettings:
        raw = self.table("scheduler")
        values: dict[str, Any] = {}
        for key, value in raw.items():
            kind = _SCHEDULER_TYPES.get(key)
            if kind is None:
                raise self.error(f"scheduler.{key}", "unknown key", line_key=key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(f"scheduler.{key}", "must be a number", line_key=key)
            if value < 0:
                raise self.error(f"scheduler.{key}", "must not be negative", line_key=key)
            values[key] = kind(value)
        return SchedulerSettings(**values)

    def error(self, key: str, problem: str, *, line_key: str | None = None) -> ConfigError:
        top = key.split(".", 1)[0]
        path = self.sources.get(top)
        if path is None:
            return ConfigError(f"config key {key}: {problem}")
        line = _line_of(self.texts.get(path, ""), line_key or key.rsplit(".", 1)[-1])
        where = f"{path}:{line}" if line else str(path)
        return ConfigError(f"{where}: key {key}: {problem}")


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?\"?{re.escape(key)}\"?\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    import tomllib  # deferred: most runs find no config file, and the import costs ~2 ms

    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(workspace: Workspace | None, env: Mapping[str, str] | None = None) -> Config:
    """User config first, the workspace's .maos/config.toml on top of it."""
    paths = [user_config_path(env)]
    if workspace is not None:
        paths.append(workspace.config_path)
    data: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    texts: dict[Path, str] = {}
    for path in paths:
        layer, text = _read_toml(path)
        if not layer:
            continue
        texts[path] = text
        data = _merge(data, layer)
        sources.update(dict.fromkeys(layer, path))
    return Config(data=data, sources=sources, texts=texts)


def save_user_setting(key: str, value: str, env: Mapping[str, str] | None = None) -> Path:
    """Set a top-level string key in the user config, keeping every other line as written."""
    path = user_config_path(env)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
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
