"""Which line of a config file holds a key: tomllib gives values, not positions.

A light scan of the usual layouts: `[table]` and `[[array]]` headers (the nth entry of an
array counted), `key = value` lines and dotted keys, skipping multi-line strings. A key the
scan cannot place (an inline table, an odd layout) falls back to its table's line, or none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

KeyPath = tuple[str | int, ...]  # ("agents", 1, "shell"): ints index arrays of tables

_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")
_HEADER = re.compile(r"^\s*(\[\[?)(.*?)(\]\]?)\s*(?:#.*)?$")
_MULTILINE = ('"""', "'''")
# No setting is nested deeper than a few tables, and tomllib's time grows with the square
# of a dotted key's length: a longer key (`a.a.a...`) is refused before parsing.
DEEPEST_KEY = 8


def quoted(text: str) -> str:
    """TOML-style quotes, control characters escaped: config text is shown on a terminal."""
    return json.dumps(text, ensure_ascii=False)


def dotted(text: str) -> tuple[str, ...] | None:
    """`a."b.c".d` -> ("a", "b.c", "d"); None when `text` is not a TOML key."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _PART.match(text, pos)
        if match is None:
            return None
        parts.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


def _key_text(line: str) -> tuple[str, str] | None:
    """(key, rest after `=`) of a `key = value` line, the `=` found outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "=":
            return line[:index], line[index + 1 :]
        elif char in "#[{":
            return None
    return None


def overlong_key(text: str) -> int | None:
    """The line of the first key or table header with more than DEEPEST_KEY parts."""
    for number, line in enumerate(text.splitlines(), start=1):
        found = _key_text(line)
        key = found[0] if found else line if line.lstrip().startswith("[") else ""
        if key.count(".") >= DEEPEST_KEY:
            return number
    return None


class LineIndex:
    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self._arrays: dict[KeyPath, int] = {}
        current: KeyPath | None = ()
        closing = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if closing:
                if line.count(closing) % 2:
                    closing = ""
                continue
            header = _HEADER.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                current = self._header(header.group(2), number, array=header.group(1) == "[[")
                continue
            found = _key_text(line)
            if found is None:
                continue
            parts = dotted(found[0])
            if parts is not None and current is not None:
                for end in range(1, min(len(parts), DEEPEST_KEY) + 1):
                    self.lines.setdefault((*current, *parts[:end]), number)
            closing = next((q for q in _MULTILINE if found[1].count(q) % 2), "")

    def _header(self, text: str, number: int, *, array: bool) -> KeyPath | None:
        parts = dotted(text)
        if parts is None:
            return None
        path = (*self._resolve(parts[:-1]), parts[-1])
        if array:
            index = self._arrays.get(path, 0)
            self._arrays[path] = index + 1
            path = (*path, index)
        self.lines.setdefault(path, number)
        return path

    def _resolve(self, parts: Sequence[str]) -> KeyPath:
        """Table names under an array of tables belong to its latest entry."""
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            if path in self._arrays:
                path = (*path, self._arrays[path] - 1)
        return path

    def line_of(self, path: KeyPath) -> int | None:
        """The key's line, else the line of the nearest table around it that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None
