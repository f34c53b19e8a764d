"""Read one config file and check it against the schema (config_schema.py).

Wrong types and values are errors; an unknown key is a warning with the nearest known name,
and is dropped, so nothing downstream ever sees an unchecked value. Every problem names the
file, the line (config_lines.py) and the key.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from maos_tui.config_lines import (
    DEEPEST_KEY,
    KeyPath,
    LineIndex,
    dotted,
    overlong_key,
    quoted,
)
from maos_tui.config_schema import ConfigFile
from maos_tui.config_values import Setting, describe, optional, settings_of, value_problem
from maos_tui.domain import DomainError
from maos_tui.safe_read import MIB, UnsafeFileError, read_regular_text

ERROR, WARNING = "error", "warning"
MAX_CONFIG_BYTES = MIB
SHOWN_PROBLEMS = 20  # per file: a file of junk keys must not bury the command's output
_BAD = object()  # a value that failed its check: left out of the checked data


@dataclass(frozen=True)
class Problem:
    level: str
    message: str
    file: Path | None = None
    line: int | None = None
    key: KeyPath = ()

    def __str__(self) -> str:
        where = [f"{self.file}:{self.line}" if self.line else str(self.file)] if self.file else []
        label = [key_label(self.key)] if self.key else []
        return ": ".join([*where, *label, self.message])


def key_label(path: KeyPath) -> str:
    """("agents", 1, "shell") -> "[[agents]] #2 key shell"; ("a", "b") -> "key a.b"."""
    label, key = "", []
    for part in path:
        if isinstance(part, int):
            # An array of tables inside one: "[[agents]] #1 mcp_servers #2 key url".
            label += (
                f"{'.'.join(key)} #{part + 1} " if label else f"[[{'.'.join(key)}]] #{part + 1} "
            )
            key = []
        else:
            key.append(part if dotted(part) == (part,) else quoted(part))
    return f"{label}key {'.'.join(key)}" if key else label.strip()


class _Checker:
    def __init__(self, file: Path | None, text: str) -> None:
        self.file = file
        self.text = text
        self.problems: list[Problem] = []
        self._index: LineIndex | None = None

    def report(self, level: str, path: KeyPath, message: str) -> None:
        if self._index is None:
            self._index = LineIndex(self.text)
        line = self._index.line_of(path)
        self.problems.append(Problem(level, message, self.file, line, path))

    def table(self, schema: type, raw: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        known = settings_of(schema)
        checked = {}
        for key, value in raw.items():
            setting = known.get(key)
            if setting is None:
                hint = _suggest(key, known) if len(self.problems) < SHOWN_PROBLEMS else ""
                self.report(WARNING, (*path, key), "unknown key, ignored" + hint)
                continue
            value = self.value(setting, value, (*path, key))
            if value is not _BAD:
                checked[key] = value
        for setting in known.values():
            if setting.required and setting.name not in raw:
                self.report(ERROR, path, f"missing key {setting.name}")
        return checked

    def value(self, setting: Setting, value: Any, path: KeyPath) -> Any:
        hint = optional(setting.hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if is_dataclass(hint) or origin is dict:
            if not isinstance(value, dict):
                self.report(ERROR, path, f"must be a table, not {describe(value)}")
                return _BAD
            if is_dataclass(hint):
                return self.table(hint, value, path)
            entry = replace(setting, hint=args[1])
            checked = {k: self.value(entry, v, (*path, k)) for k, v in value.items()}
            return {k: v for k, v in checked.items() if v is not _BAD}
        if origin is list and is_dataclass(args[0]):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                self.report(ERROR, path, f"must be an array of tables ([[{path[-1]}]])")
                return _BAD
            return [self.table(args[0], item, (*path, i)) for i, item in enumerate(value)]
        problem = value_problem(setting, value)
        if problem is not None:
            self.report(ERROR, path, problem)
            return _BAD
        return value

    def agents(self, tables: list[dict[str, Any]]) -> None:
        """What the types cannot say: a valid definition, and one agent per name."""
        from maos_tui.store.agent_values import config_agent_values  # no SQLAlchemy in it

        # An entry with a wrong type would only repeat its error in config_agent_values.
        wrong = {p.key[1] for p in self.problems if p.level == ERROR and in_agent_table(p.key)}
        seen: dict[str, int] = {}
        for index, table in enumerate(tables):
            name = table.get("name")
            if name is None:  # missing or of the wrong type: reported already
                continue
            if name in seen:
                message = f"name {quoted(name)} is already used by [[agents]] #{seen[name] + 1}"
                self.report(ERROR, ("agents", index, "name"), message)
                continue
            seen[name] = index
            if index in wrong:
                continue
            if ("model" in table) == ("command" in table):
                self.report(ERROR, ("agents", index), "give exactly one of model or command")
                continue
            try:
                config_agent_values(table)
            except DomainError as exc:
                self.report(ERROR, ("agents", index), str(exc))
            if table.get("mcp_servers"):
                self.mcp_servers(index, table)

    def mcp_servers(self, index: int, agent: dict[str, Any]) -> None:
        path: KeyPath = ("agents", index, "mcp_servers")
        if "command" in agent:
            self.report(ERROR, path, "is for LLM agents (model), not command agents")
            return
        seen: dict[str, int] = {}
        for number, entry in enumerate(agent["mcp_servers"]):
            for where, message in _entry_problems(entry):
                self.report(ERROR, (*path, number, *where), message)
            name = entry.get("name")
            if name in seen:
                message = f"name {quoted(name)} is already used by mcp_servers #{seen[name] + 1}"
                self.report(ERROR, (*path, number, "name"), message)
            elif name is not None:
                seen[name] = number


def read_and_check(path: Path) -> tuple[dict[str, Any], str, list[Problem]]:
    """(the checked table, the text, problems); a missing file is an empty table."""
    try:
        text = read_regular_text(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return {}, "", []
    except UnsafeFileError as exc:
        return {}, "", [Problem(ERROR, f"config {exc}")]
    except UnicodeDecodeError:
        return {}, "", [Problem(ERROR, "is not UTF-8 text", path)]
    except OSError as exc:
        return {}, "", [Problem(ERROR, f"cannot read config {path}: {exc.strerror or exc}")]
    too_deep = overlong_key(text)
    if too_deep is not None:
        message = f"keys of more than {DEEPEST_KEY} parts are not supported"
        return {}, text, [Problem(ERROR, message, path, too_deep)]
    import tomllib

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, text, [Problem(ERROR, f"invalid TOML: {exc}", path)]
    except RecursionError:
        return {}, text, [Problem(ERROR, "invalid TOML: arrays or tables nested too deeply", path)]
    checked, problems = check_file(raw, path, text)
    return checked, text, problems


def check_file(data: dict[str, Any], file: Path | None, text: str) -> tuple[dict, list[Problem]]:
    """(the data with unknown keys and bad values left out, every problem found)."""
    checker = _Checker(file, text)
    checked = checker.table(ConfigFile, data, ())
    if checked.get("agents"):
        checker.agents(checked["agents"])
    shown, hidden = checker.problems[:SHOWN_PROBLEMS], checker.problems[SHOWN_PROBLEMS:]
    if hidden:
        level = ERROR if any(p.level == ERROR for p in hidden) else WARNING
        shown.append(Problem(level, f"and {len(hidden)} more problem(s) in this file", file))
    return checked, shown


def in_agent_table(key: KeyPath) -> bool:
    """Whether a problem is about one `[[agents]]` entry (key[1] is its index)."""
    return len(key) > 1 and key[0] == "agents"


def _suggest(key: str, known: dict[str, Setting]) -> str:
    import difflib  # only a config with a typo pays for it

    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"; did you mean {close[0]}?"
    # A key written above its table's header, e.g. max_parallel instead of [scheduler].
    homes = [s.name for s in known.values() if is_dataclass(s.hint) and key in settings_of(s.hint)]
    return f"; did you mean [{homes[0]}] {key}?" if homes else ""


# ---------------------------------------------------------------- mcp_servers entries

# The model sees an MCP tool as `<server>__<tool>` (agents/mcp_tools.py): a server name
# never holds `__`, so the first one always ends it.
_SERVER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
# `${VAR}` in an entry's env and headers values, read from the environment at connect time.
VARIABLE_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _name_problem(name: str) -> str | None:
    if not _SERVER_NAME.fullmatch(name) or "__" in name:
        return (
            "must start with a letter, then letters, digits, - or _ (at most 32), "
            'without "__" (it prefixes the tools\' names)'
        )
    return None


def _reference_problem(value: str) -> str | None:
    """Why a `${...}` in a value is not a variable reference, or None."""
    for start in (m.start() for m in re.finditer(r"\$\{", value)):
        if not VARIABLE_REFERENCE.match(value, start):
            return "has a ${ that is not a variable reference such as ${DOCS_TOKEN}"
    return None


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (a malformed port raises here)
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in url):
        return "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000/mcp"
    return None


def _entry_problems(entry: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """What the types cannot say about one checked entry: (key path within it, message)."""
    found: list[tuple[tuple[str, ...], str]] = []
    name = entry.get("name")
    if isinstance(name, str) and (problem := _name_problem(name)):
        found.append((("name",), problem))
    if ("command" in entry) == ("url" in entry):
        found.append(((), "give exactly one of command (a program) or url (streamable HTTP)"))
    if "url" in entry and (problem := _url_problem(entry["url"])):
        found.append((("url",), problem))
    if "env" in entry and "command" not in entry:
        found.append((("env",), "is for a server started with command"))
    if "headers" in entry and "url" not in entry:
        found.append((("headers",), "is for a server reached by url"))
    for table in ("env", "headers"):
        for key, value in (entry.get(table) or {}).items():
            if problem := _reference_problem(value):
                found.append(((table, key), problem))
    return found
