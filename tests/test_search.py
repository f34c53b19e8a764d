"""Search ranking and FTS consistency (timing lives in benchmarks/, not here)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from maos_tui.domain import DomainError
from maos_tui.store import Store, search_fts
from maos_tui.store.search_fts import snippet


def refs(hits: list) -> list[str]:
    return [h.ref for h in hits]


async def test_title_matches_rank_above_body_matches(store: Store) -> None:
    body = await store.tasks.create("Cleanup", description="the tokenizer is slow here")
    title = await store.tasks.create("Tokenizer rewrite")
    hits = await store.search.search("tokenizer")
    assert refs(hits) == [title.id, body.id]
    assert hits[0].score > hits[1].score > 0
    assert "[tokenizer]" in hits[1].snippet


async def test_every_word_must_match_as_a_prefix(store: Store) -> None:
    both = await store.tasks.create("Fast parser", description="streaming JSON")
    await store.tasks.create("Fast lexer")
    assert refs(await store.search.search("pars json")) == [both.id]


async def test_messages_and_documents_are_found_with_their_task(store: Store) -> None:
    task = await store.tasks.create("Parser")
    msg = await store.messages.post(task.id, "human", "consider the zebra crossing")
    doc = await store.documents.write(task.id, "Zebra notes", "stripes", "human")
    hits = await store.search.search("zebra")
    assert {(h.kind, h.ref, h.task_id) for h in hits} == {
        ("message", str(msg.id), task.id),
        ("document", doc.ref, task.id),
    }
    assert hits[0].kind == "document"  # a title match


async def test_index_follows_edits_and_new_versions(store: Store) -> None:
    task = await store.tasks.create("Alpha", description="old words")
    await store.tasks.edit(task.id, title="Beta", description="new words")
    assert await store.search.search("alpha") == []
    assert await store.search.search("old") == []
    assert refs(await store.search.search("beta new")) == [task.id]
    doc = await store.documents.write(task.id, "Plan", "first draft", "human")
    await store.documents.write(task.id, "Plan", "second take", "human")
    assert await store.search.search("draft") == []
    assert refs(await store.search.search("second")) == [doc.ref]


async def test_archived_tasks_drop_out_and_come_back(store: Store) -> None:
    task = await store.tasks.create("Gamma")
    other = await store.tasks.create("Gamma too")
    await store.messages.post(task.id, "human", "gamma ray")
    await store.documents.write(task.id, "Gamma spec", "v1", "human")
    await store.documents.write(task.id, "Gamma spec", "v2 gamma", "human")
    await store.tasks.archive(task.id)
    assert refs(await store.search.search("gamma")) == [other.id]
    await store.tasks.edit(task.id, description="gamma edited while archived")
    assert refs(await store.search.search("gamma")) == [other.id]
    await store.tasks.restore(task.id)
    found = await store.search.search("gamma")
    assert sorted(h.kind for h in found) == ["document", "message", "task", "task"]
    assert refs(await store.search.search("edited")) == [task.id]
    assert await store.search.search("v1") == []


async def test_a_rolled_back_write_leaves_no_index_entry(store: Store) -> None:
    task = await store.tasks.create("Delta")
    with pytest.raises(DomainError):
        async with store.write() as tx:
            await store.messages.post_in(tx, task.id, "human", "phantom words")
            raise DomainError("changed my mind")
    assert await store.search.search("phantom") == []


async def test_fts_syntax_in_user_text_is_just_words(store: Store) -> None:
    task = await store.tasks.create("Quote handling")
    assert refs(await store.search.search('"quote" (handling*) -')) == [task.id]
    with pytest.raises(DomainError, match="search text is empty"):
        await store.search.search(" ?! ")


async def test_documents_and_messages_follow_the_same_rules(store: Store) -> None:
    """Every word as a word or a prefix, title before body, archived tasks left out:
    on each backend's own full-text index."""
    body = await store.tasks.create("Cleanup", description="the tokenizer is slow")
    title = await store.tasks.create("Tokenizer rewrite")
    archived = await store.tasks.create("Tokenizer v0")
    await store.tasks.archive(archived.id)
    msg = await store.messages.post(body.id, "human", "tokenizer bug")
    doc = await store.documents.write(title.id, "Tokenizer spec", "v1", "human")
    await store.documents.write(title.id, "Tokenizer spec", "v2 words", "human")
    hits = await store.search.search("tokeniz")
    assert set(refs(hits)) == {body.id, title.id, str(msg.id), doc.ref}
    assert set(refs(hits[:2])) == {title.id, doc.ref}  # the title matches first
    assert refs(await store.search.search("v2 words")) == [doc.ref]
    assert await store.search.search("okenizer") == []  # a word's middle is no prefix
    assert await store.search.search("tokenizer missing") == []


async def test_punctuation_separates_words(store: Store) -> None:
    task = await store.tasks.create("Fix src/main.py", description="since v2.1, see a@b.example")
    for words in ("py", "main py", "v2 1", "example", "src main"):
        assert refs(await store.search.search(words)) == [task.id], words


async def test_postgresql_searches_its_own_tsvector_index(pg_url: str) -> None:
    """A GIN-indexed tsvector column does the matching: no LIKE scan."""
    store = await Store.open(pg_url)
    try:
        await store.tasks.create("Tokenizer rewrite")
        async with store.read() as conn:
            indexes = await conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE tablename = 'search_index'")
            )
            assert any("gin (words)" in row[0] for row in indexes.all())
            await conn.execute(text("SET enable_seqscan = off"))
            plan = await conn.execute(
                text(
                    "EXPLAIN SELECT rowid FROM search_index "
                    "WHERE words @@ to_tsquery('simple', 'tokeni:*')"
                )
            )
            assert "ix_search_index_words" in "\n".join(row[0] for row in plan.all())
    finally:
        await store.close()


async def test_very_common_words_rank_only_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_fts, "RANK_WINDOW", 2)
    oldest = await store.tasks.create("Omega in the title")
    newer = [await store.tasks.create(f"Task {n}", description="omega") for n in range(3)]
    hits = await store.search.search("omega")
    assert oldest.id not in refs(hits)
    assert set(refs(hits)) == {newer[1].id, newer[2].id}


def test_snippets_highlight_word_prefixes_around_the_first_match() -> None:
    body = "intro " * 30 + "the Tokenizer splits tokens\nand more " + "tail " * 30
    cut = snippet(body, ["token"])
    assert cut.startswith("…") and cut.endswith("…")
    assert "[Tokenizer] splits [tokens] and more" in cut
    assert snippet("nothing here", ["token"]) == ""
