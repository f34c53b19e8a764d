"""Messages, mentions, notifications and documents through the real store (SQLite on disk)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from maos_tui.collab import DOCUMENT_MAX_BYTES, decode_document, find_mentions
from maos_tui.domain import DomainError
from maos_tui.store import Store
from maos_tui.store.models import Activity, Document, DocumentVersion, Message, Notification


async def count(store: Store, table: type) -> int:
    async with store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


# ------------------------------------------------------------------ threading rules


async def test_thread_keeps_order_types_and_replies(store: Store) -> None:
    task = await store.tasks.create("Parser")
    first = await store.messages.post(task.id, "human", "Which format?", type="question")
    reply = await store.messages.post(task.id, "human", "JSON", type="answer", reply_to=first.id)
    thread = await store.messages.list(task.id.lower())
    assert [(m.id, m.type.value, m.reply_to) for m in thread] == [
        (first.id, "question", None),
        (reply.id, "answer", first.id),
    ]
    assert thread[1].to_json()["reply_to"] == first.id


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("TASK-001", "human", "   \n "), "message is empty"),
        (("TASK-009", "human", "hi"), "unknown task TASK-009"),
        (("TASK-001", "ghost", "hi"), "unknown agent ghost"),
        (("TASK-001", "human", "hi", "gossip"), "unknown message type 'gossip'"),
    ],
)
async def test_bad_messages_change_nothing(store: Store, args: tuple, error: str) -> None:
    await store.tasks.create("Parser")
    before = await count(store, Activity)
    with pytest.raises(DomainError, match=error):
        await store.messages.post(*args)
    assert await count(store, Message) == 0
    assert await count(store, Activity) == before


async def test_reply_must_stay_in_its_task(store: Store) -> None:
    one = await store.tasks.create("One")
    two = await store.tasks.create("Two")
    msg = await store.messages.post(one.id, "human", "hello")
    with pytest.raises(DomainError, match=f"message {msg.id} belongs to TASK-001, not TASK-002"):
        await store.messages.post(two.id, "human", "hi", reply_to=msg.id)
    with pytest.raises(DomainError, match="unknown message 99"):
        await store.messages.post(one.id, "human", "hi", reply_to=99)
    assert await count(store, Message) == 1


async def test_archived_task_takes_no_messages_but_keeps_its_thread(store: Store) -> None:
    task = await store.tasks.create("Old")
    await store.messages.post(task.id, "human", "before")
    await store.tasks.archive(task.id)
    with pytest.raises(DomainError, match="archived"):
        await store.messages.post(task.id, "human", "after")
    assert [m.text for m in await store.messages.list(task.id)] == ["before"]


async def test_posting_records_activity_and_publishes_message_event(store: Store) -> None:
    seen = []
    store.bus.subscribe(seen.append)
    task = await store.tasks.create("Parser")
    msg = await store.messages.post(task.id, "human", "hello")
    event = next(e for e in seen if e.topic == "message")
    assert event.task_id == task.id
    assert event.activity is not None and event.activity.details["message_id"] == msg.id


# ------------------------------------------------------------------ mentions


def test_mentions_skip_emails_code_and_trailing_punctuation() -> None:
    text = "ask @coder. and @rev-1, mail me@host.com, not `@code` nor\n```\n@block\n```\n@coder"
    assert find_mentions(text) == ["coder", "rev-1"]


async def test_mention_notifies_known_agent_and_warns_about_unknown(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    msg = await store.messages.post(task.id, "human", "@coder please, and @nobody too")
    assert msg.mentions.agents == ("coder",)
    assert msg.mentions.unknown == ("nobody",)
    assert msg.mentions.warnings == ["@nobody is not an agent or the user; kept as plain text"]
    pending = await store.notifications.pending_for("coder")
    assert [(n.task_id, n.message_id) for n in pending] == [(task.id, msg.id)]
    assert "human mentioned you in the thread of TASK-001" in pending[0].text
    assert await store.notifications.list("nobody") == []


async def test_agents_are_not_notified_of_their_own_mentions(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    await store.messages.post(task.id, "coder", "note to @coder self")
    assert await store.notifications.pending_for("coder") == []


async def test_user_name_and_human_notify_the_person(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    store.notifications.set_user_name("ada")
    await store.messages.post(task.id, "coder", "done, @ada")
    await store.messages.post(task.id, "coder", "also @human")
    assert [n.recipient for n in await store.notifications.list()] == ["human", "human"]
    assert await store.notifications.unread_count() == 2


async def test_description_mentions_notify_once_per_new_name(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    await store.agents.add("reviewer", model="ollama/x")
    task = await store.tasks.create("Parser", description="for @coder")
    await store.tasks.edit(task.id, description="for @coder, checked by @reviewer")
    assert len(await store.notifications.pending_for("coder")) == 1
    reviewer = await store.notifications.pending_for("reviewer")
    assert [n.message_id for n in reviewer] == [None]
    assert "in the description of TASK-001" in reviewer[0].text


async def test_claim_delivers_each_notification_once(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    await store.messages.post(task.id, "human", "@coder one")
    await store.messages.post(task.id, "human", "@coder two")
    first = await store.notifications.claim_for("coder")
    assert len(first) == 2 and all(n.delivered_at is not None for n in first)
    assert await store.notifications.claim_for("coder") == []
    assert await store.notifications.mark_delivered([n.id for n in first]) == []
    assert await store.notifications.open_mentions() == {"coder": 2}


async def test_agent_reply_in_thread_answers_its_delivered_mentions(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    other = await store.tasks.create("Other")
    await store.messages.post(task.id, "human", "@coder ?")
    await store.messages.post(other.id, "human", "@coder ?")
    await store.messages.post(task.id, "coder", "not delivered yet, so not answered")
    assert await store.notifications.open_mentions() == {"coder": 2}
    await store.notifications.claim_for("coder")
    await store.messages.post(task.id, "coder", "here you go")
    assert await store.notifications.open_mentions() == {"coder": 1}
    left = await store.notifications.list("coder", unread=True)
    assert [n.task_id for n in left] == [other.id]


async def test_mark_read_checks_ids_and_recipient(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    await store.messages.post(task.id, "coder", "@human look")
    await store.messages.post(task.id, "human", "@coder look")
    mine = await store.notifications.list()
    agents = await store.notifications.list("coder")
    with pytest.raises(DomainError, match=f"unknown notification {agents[0].id}"):
        await store.notifications.mark_read([mine[0].id, agents[0].id])
    assert await store.notifications.unread_count() == 1
    assert await store.notifications.mark_read([mine[0].id]) == [mine[0].id]
    assert await store.notifications.mark_read([mine[0].id]) == []
    (read,) = await store.notifications.list()
    assert read.read_at is not None and read.delivered_at is not None


# ------------------------------------------------------------- questions to the human


async def test_agent_question_to_human_parks_until_a_human_answers(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    await store.agents.add("reviewer", model="ollama/x")
    task = await store.tasks.create("Parser")
    other = await store.tasks.create("Other")
    await store.messages.post(other.id, "coder", "@reviewer which lib?", type="question")
    q = await store.messages.post(task.id, "coder", "CSV or JSON?", type="question")
    assert await store.messages.needs_human() == {task.id}
    (note,) = await store.notifications.list()
    assert note.message_id == q.id
    await store.messages.post(task.id, "coder", "still waiting")
    assert await store.messages.needs_human([task.id]) == {task.id}
    seen = []
    store.bus.subscribe(seen.append)
    await store.messages.post(task.id, "human", "JSON", type="answer", reply_to=q.id)
    assert await store.messages.needs_human() == set()
    assert [e.activity.verb for e in seen if e.activity] == ["posted", "answered"]


# ------------------------------------------------------------------ documents


async def test_same_title_adds_versions_and_diff_shows_changes(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    v1 = await store.documents.write(task.id, "Design", "a\nb\n", "coder", "research")
    v2 = await store.documents.write(task.id, "Design", "a\nc\n", "human", "research")
    other = await store.documents.write(task.id, "Notes", "x", "human")
    assert (v1.id, v1.version, v2.id, v2.version, v2.latest) == (v1.id, 1, v1.id, 2, 2)
    assert other.id != v1.id
    old = await store.documents.version(v1.ref, 1)
    assert (old.content, old.author, old.latest) == ("a\nb\n", "coder", 2)
    assert [v.version for v in await store.documents.versions(v1.id)] == [1, 2]
    diff = await store.documents.diff(v1.id, 1, 2)
    assert "-b\n" in diff and "+c\n" in diff and "DOC-1 v1" in diff
    assert await store.documents.diff(v1.id, 2, 2) == ""
    listed = await store.documents.list(task.id)
    assert [(d.title, d.latest, d.content) for d in listed] == [
        ("Design", 2, None),
        ("Notes", 1, None),
    ]


async def test_revise_adds_a_version_by_id(store: Store) -> None:
    task = await store.tasks.create("Parser")
    doc = await store.documents.write(task.id, "Plan", "one", "human", "protocol")
    revised = await store.documents.revise(doc.ref, "two", "human")
    assert (revised.version, revised.content, revised.doc_type.value) == (2, "two", "protocol")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (("TASK-001", "", "x", "human"), "title is empty"),
        (("TASK-001", "a\nb", "x", "human"), "single line"),
        (("TASK-002", "T", "x", "human"), "unknown task TASK-002"),
        (("TASK-001", "T", "x", "human", "memo"), "unknown document type 'memo'"),
        (("TASK-001", "T", "x" * (DOCUMENT_MAX_BYTES + 1), "human"), "at most 5 MB"),
    ],
)
async def test_bad_documents_change_nothing(store: Store, call: tuple, error: str) -> None:
    await store.tasks.create("Parser")
    with pytest.raises(DomainError, match=error):
        await store.documents.write(*call)
    assert await count(store, Document) == 0
    assert await count(store, DocumentVersion) == 0


async def test_missing_versions_and_documents_are_clear_errors(store: Store) -> None:
    task = await store.tasks.create("Parser")
    doc = await store.documents.write(task.id, "Plan", "one", "human")
    with pytest.raises(DomainError, match="DOC-1 has no version 3 \\(versions 1 to 1\\)"):
        await store.documents.get(doc.id, 3)
    with pytest.raises(DomainError, match="unknown document DOC-7"):
        await store.documents.get("doc-7")
    with pytest.raises(DomainError, match="invalid document ID"):
        await store.documents.get("../etc/passwd")


def test_document_bytes_must_be_utf8_and_small() -> None:
    assert decode_document("héllo".encode(), "f.md") == "héllo"
    with pytest.raises(DomainError, match=r"f\.md is not UTF-8 text"):
        decode_document(b"\xff\xfe", "f.md")
    with pytest.raises(DomainError, match=r"f\.md is 5\.0 MB"):
        decode_document(b"x" * (DOCUMENT_MAX_BYTES + 1), "f.md")


async def test_mentions_only_count_agent_notifications(store: Store) -> None:
    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    await store.messages.post(task.id, "coder", "@human hi")
    assert await store.notifications.open_mentions() == {}
    assert await count(store, Notification) == 1


async def test_collaboration_shows_in_the_activity_feed(store: Store) -> None:
    from maos_tui.tui.board_data import read_feed
    from maos_tui.tui.feed_text import describe

    await store.agents.add("coder", model="ollama/x")
    task = await store.tasks.create("Parser")
    await store.messages.post(task.id, "human", "@coder go")
    await store.documents.write(task.id, "Plan", "v1", "coder")
    await store.notifications.claim_for("coder")
    await store.messages.post(task.id, "coder", "@human done")
    await store.notifications.mark_read(None)
    lines = [describe(a) for a in await read_feed(store, 0)]
    assert lines[2:] == [
        "human posted TASK-001",
        "human mentioned TASK-001 → @coder",
        "coder wrote TASK-001 DOC-1 v1",
        "coder received notifications",
        "coder posted TASK-001",
        "coder mentioned TASK-001 → @human",
        "human read notifications",
    ]
