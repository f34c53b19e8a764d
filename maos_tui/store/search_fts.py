"""A search on SQLite's FTS5 index, written once for two runners: the store runs it through
SQLAlchemy (search.py) and a one-shot `maos-tui search` on the stdlib `sqlite3`
(store/stdlib/), with the same statements (search.py's FTS_SQL, compiled ahead for the
stdlib path). Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from maos_tui.collab import SearchHit
from maos_tui.domain import DomainError

SNIPPET_CHARS = 80
RANK_WINDOW = 2_000
# The statements `fts_hits` runs, by the name both namespaces give them.
STATEMENTS = ("SEARCH_CUTOFF", "SEARCH_RANKED", "SEARCH_HITS")

# Runs a statement of `sql` with its parameters; returns its rows.
Rows = Callable[[Any, Mapping[str, Any]], Awaitable[list[Any]]]


def query_terms(query: str) -> list[str]:
    terms = re.findall(r"\w+", query)
    if not terms:
        raise DomainError("search text is empty (give at least one word)")
    return terms


def fts_query(terms: list[str]) -> str:
    """Every word must appear, each as a prefix; quoting keeps FTS syntax out of user text."""
    return " ".join(f'"{term}"*' for term in terms)


async def fts_hits(
    rows: Rows,
    sql: Any,
    terms: list[str],
    limit: int,
    make_query: Callable[[list[str]], str] = fts_query,
) -> list[SearchHit]:
    """The best `limit` hits for `terms`, best first; `sql` holds the STATEMENTS and
    `make_query` writes the terms in its database's query syntax."""
    query = make_query(terms)
    cutoff = await rows(sql.SEARCH_CUTOFF, {"q": query, "window": RANK_WINDOW})
    ranked = await rows(
        sql.SEARCH_RANKED,
        {"q": query, "cutoff": cutoff[0][0] if cutoff else 0, "limit": limit},
    )
    if not ranked:
        return []
    scores = {rowid: score for rowid, score in ranked}
    found = await rows(sql.SEARCH_HITS, {"rowids": json.dumps(list(scores))})
    # bm25 is "lower is better" and negative; flip it so a higher score reads as better.
    hits = [
        SearchHit(kind, ref, tid, shown, snippet(body, terms) or own, -scores[rowid])
        for rowid, kind, ref, tid, shown, own, body in found
    ]
    return sorted(hits, key=lambda hit: -hit.score)


def snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `body` around the first matching word, matches in [ ].

    Empty when no word of `body` matches (the hit was on its title)."""
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\w*", re.IGNORECASE)
    flat = " ".join(body.split())
    first = pattern.search(flat)
    if first is None:
        return ""
    start = max(0, first.start() - width // 3)
    end = min(len(flat), start + width)
    piece = pattern.sub(lambda m: f"[{m.group(0)}]", flat[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(flat) else "")
