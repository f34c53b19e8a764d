"""The search index on PostgreSQL: its own full-text search, in the same shape as SQLite's.

`search_index` is an ordinary table with the FTS5 table's columns (its `rowid` keyed the
same way, search_keys.py), so the services keep both in step with the very same INSERT and
DELETE statements (search.py). Its `words` column is a tsvector the database computes
from the title (weight A) and the body (weight B), under a GIN index.

Queries mean what they mean on SQLite: every word must match, as a word or a prefix
(`'word':*`), and a title match weighs ten times a body match in `ts_rank`. The
'simple' configuration lower-cases words and neither stems them nor drops stop words,
as FTS5's unicode61 tokenizer does; unlike it, it keeps diacritics (`cafe` does not
find `café`).
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import text

# ts_rank's weights are listed D, C, B, A: the body is B, the title A.
_WEIGHTS = "'{0, 0, 0.1, 1.0}'"
_QUERY = "to_tsquery('simple', :q)"


def _words(column: str) -> str:
    # Punctuation separates words, as in FTS5: PostgreSQL's parser would keep `main.py`,
    # `v2.1` or `a@b.com` whole, and `py` or `1` would then find nothing.
    return f"regexp_replace(coalesce({column}, ''), '[[:punct:]]', ' ', 'g')"


CREATE_INDEX = (
    f"""CREATE TABLE IF NOT EXISTS search_index (
        rowid BIGINT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        kind VARCHAR(16) NOT NULL,
        ref VARCHAR(32) NOT NULL,
        task_id VARCHAR(32) NOT NULL,
        words TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', {_words("title")}), 'A')
            || setweight(to_tsvector('simple', {_words("body")}), 'B')
        ) STORED
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_index_words ON search_index USING GIN (words)",
)

# The statements of search_fts.STATEMENTS, for PostgreSQL (see search.py's FTS_SQL).
PG_SQL = SimpleNamespace(
    SEARCH_CUTOFF=text(
        f"SELECT rowid FROM search_index WHERE words @@ {_QUERY} "
        "ORDER BY rowid DESC LIMIT 1 OFFSET :window"
    ),
    # Negated, so that lower is better as with bm25 (fts_hits flips it back).
    SEARCH_RANKED=text(
        f"""SELECT rowid, -ts_rank({_WEIGHTS}, words, {_QUERY}) AS score
        FROM search_index WHERE words @@ {_QUERY} AND rowid > :cutoff
        ORDER BY score, rowid DESC LIMIT :limit"""
    ),
    SEARCH_HITS=text(
        """SELECT s.rowid, s.kind, s.ref, s.task_id,
            CASE s.kind WHEN 'document' THEN s.title ELSE t.title END, s.title, s.body
        FROM search_index s JOIN tasks t ON t.id = s.task_id
        WHERE s.rowid IN (
            SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(:rowids AS JSON)))"""
    ),
)


def pg_query(terms: list[str]) -> str:
    """Every word, each as a prefix. Words are runs of \\w (search_fts.query_terms), so
    quoting each keeps tsquery operators out of user text."""
    return " & ".join(f"'{term}':*" for term in terms)
