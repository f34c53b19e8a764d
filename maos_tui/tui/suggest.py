"""Autocompletion for fields holding a list (`coder, qa`): completes the last item."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from textual.suggester import Suggester

_SEPARATOR = re.compile(r"[\s,]+")


def split_list(text: str) -> list[str]:
    return [item for item in _SEPARATOR.split(text) if item]


class ListSuggester(Suggester):
    def __init__(self, candidates: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.candidates = candidates

    async def get_suggestion(self, value: str) -> str | None:
        last = _SEPARATOR.split(value)[-1]
        if not last:
            return None
        taken = set(split_list(value)[:-1])
        for candidate in self.candidates():
            if candidate.lower().startswith(last.lower()) and candidate not in taken:
                return value[: len(value) - len(last)] + candidate
        return None
