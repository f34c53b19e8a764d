"""Each config setting as the checks see it (type, limits, doc), read once from its
dataclass field in config_schema.py, and the check of one value against it."""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from functools import cache
from typing import Any

from maos_tui.config_lines import quoted

# SQLite stores integers in 64 bits: a larger one would fail at the first write.
INT_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Setting:
    name: str
    hint: Any  # the field's resolved type
    required: bool
    minimum: float | None
    why: str
    choices: tuple[str, ...]
    doc: str
    check: Callable[[str], str | None] | None = None


@cache
def settings_of(table: type) -> dict[str, Setting]:
    hints = typing.get_type_hints(table)
    return {
        f.name: Setting(
            f.name,
            hints[f.name],
            f.default is MISSING and f.default_factory is MISSING,
            f.metadata.get("minimum"),
            f.metadata.get("why", ""),
            f.metadata.get("choices", ()),
            f.metadata.get("doc", ""),
            f.metadata.get("check"),
        )
        for f in fields(table)
    }


def describe(value: Any) -> str:
    """A TOML value as a user would name it, for 'must be X, not Y'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "…"
        return f"the string {quoted(shown)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def value_problem(setting_: Setting, value: Any) -> str | None:
    """Why `value` does not fit a scalar or string-array setting; None when it does."""
    hint = optional(setting_.hint)
    if hint is bool:
        if not isinstance(value, bool):
            return f"must be true or false, not {describe(value)}"
        return None
    if hint is str:
        if not isinstance(value, str):
            return f"must be a string, not {describe(value)}"
        if setting_.choices and value not in setting_.choices:
            return f"must be one of {', '.join(setting_.choices)}, not {quoted(value)}"
        return setting_.check(value) if setting_.check else None
    if hint is int or hint is float:
        return _number_problem(setting_, value, whole=hint is int)
    if typing.get_origin(hint) is list and typing.get_args(hint)[0] is not str:
        return _commands_problem(setting_, value)
    if typing.get_origin(hint) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            example = setting_.doc.partition("e.g. ")[2] or '["a", "b"]'
            return f"must be an array of strings, e.g. {example}, not {describe(value)}"
        if setting_.minimum and len(value) < setting_.minimum:
            return "must not be empty"
        return None
    raise TypeError(f"no check for {hint!r}")


def _commands_problem(setting_: Setting, value: Any) -> str | None:
    """`list[list[str]]`: argv prefixes, each a non-empty array of non-empty strings."""
    if not isinstance(value, list) or not all(
        isinstance(argv, list) and argv and all(isinstance(a, str) and a for a in argv)
        for argv in value
    ):
        example = setting_.doc.partition("e.g. ")[2]
        return f"must be an array of commands, e.g. {example}, not {describe(value)}"
    return None


def _number_problem(setting_: Setting, value: Any, *, whole: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a {'whole ' if whole else ''}number, not {describe(value)}"
    if whole and not isinstance(value, int):
        return f"must be a whole number, not {value}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if whole and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        return "is too large (it must fit in 64 bits)"
    if setting_.minimum is not None and value < setting_.minimum:
        low = int(setting_.minimum) if float(setting_.minimum).is_integer() else setting_.minimum
        reason = f": {setting_.why}" if setting_.why else ""
        return f"must be at least {low}, not {value}{reason}"
    return None


def optional(hint: Any) -> Any:
    """`int | None` -> int: TOML has no null, so a present key is never None."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return args[0]
    return hint
