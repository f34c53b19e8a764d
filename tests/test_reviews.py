"""Review comments in the store (store/reviews.py): written with an Activity and published
after commit, read back open, checked, and addressed when the task's next review round
starts."""

from __future__ import annotations

import pytest

from maos_tui.domain import HUMAN, DomainError, TaskStatus
from maos_tui.events import Event
from maos_tui.review import Side
from maos_tui.store import Store
from maos_tui.store.views import read_view


async def in_review(store: Store, title: str = "Parse the config") -> str:
    task = await store.tasks.create(title)
    await store.tasks.move(task.id, TaskStatus.REVIEW)
    return task.id


async def test_a_comment_is_stored_with_its_anchor_and_an_activity(store: Store) -> None:
    tid = await in_review(store)
    published: list[Event] = []
    store.bus.subscribe(published.append)
    comment = await store.reviews.add(tid, "src/config.py", 12, "  Handle a missing file.  ")
    assert (comment.file, comment.line, comment.text, comment.author) == (
        "src/config.py", 12, "Handle a missing file.", HUMAN,
    )  # fmt: skip
    assert comment.anchor == "src/config.py:12"
    [stored] = await store.reviews.comments(tid)
    assert stored == comment and stored.created_at is not None
    verbs = [e.activity.verb for e in published if e.activity is not None]
    assert verbs == ["review comment"]
    assert published[0].activity.details == {  # type: ignore[union-attr]
        "comment_id": comment.id, "file": "src/config.py", "line": 12,
    }  # fmt: skip
    assert published[0].activity.id > 0  # type: ignore[union-attr]  # after commit


async def test_comments_come_oldest_first_from_people_and_agents(store: Store) -> None:
    tid = await in_review(store)
    other = await in_review(store, "Another change")
    await store.agents.add("qa", model="openai/gpt-4o-mini", capabilities=["review"])
    await store.reviews.add(tid, "a.py", 3, "first")
    await store.reviews.add(other, "b.py", 1, "elsewhere")
    await store.reviews.add(tid, "a.py", 7, "the old code did this", "qa", side=Side.OLD)
    comments = await store.reviews.comments(tid)
    assert [(c.text, c.author, c.anchor) for c in comments] == [
        ("first", HUMAN, "a.py:3"),
        ("the old code did this", "qa", "a.py:-7"),
    ]
    assert comments[1].to_json()["side"] == "old"


@pytest.mark.parametrize(
    ("file", "line", "text", "message"),
    [
        ("a.py", 1, "   ", "review comment is empty"),
        ("", 1, "x", "review comment needs a file"),
        ("a.py", 0, "x", "line must be a number from 1"),
        ("a.py", 1, "x" * 4001, "too long"),
    ],
)
async def test_bad_comments_are_refused_with_one_line(
    store: Store, file: str, line: int, text: str, message: str
) -> None:
    tid = await in_review(store)
    with pytest.raises(DomainError, match=message) as caught:
        await store.reviews.add(tid, file, line, text)
    assert "\n" not in str(caught.value)
    assert await store.reviews.comments(tid) == []


async def test_comments_need_a_task_in_review_and_a_known_author(store: Store) -> None:
    task = await store.tasks.create("Not yet reviewed")
    with pytest.raises(DomainError, match="it is inbox, not in review"):
        await store.reviews.add(task.id, "a.py", 1, "too early")
    tid = await in_review(store)
    with pytest.raises(DomainError, match="unknown agent ghost"):
        await store.reviews.add(tid, "a.py", 1, "who?", "ghost")
    with pytest.raises(DomainError, match="unknown task TASK-099"):
        await store.reviews.add("TASK-099", "a.py", 1, "nowhere")
    with pytest.raises(DomainError, match="side must be new or old"):
        await store.reviews.add(tid, "a.py", 1, "x", side="middle")


async def test_a_new_review_round_marks_the_open_comments_addressed(store: Store) -> None:
    tid = await in_review(store)
    await store.reviews.add(tid, "a.py", 3, "rename this")
    await store.reviews.add(tid, "a.py", 9, "and test it")
    # Changes requested: the author works on it; the comments stay open for its run.
    await store.tasks.move(tid, TaskStatus.IN_PROGRESS)
    assert len(await store.reviews.comments(tid)) == 2
    # The author's new work is up for review: a new round, with no comments yet.
    await store.tasks.move(tid, TaskStatus.REVIEW)
    assert await store.reviews.comments(tid) == []
    async with read_view(store) as view:
        assert "review comments addressed" in [a.verb for a in await view.history(tid)]
    fresh = await store.reviews.add(tid, "a.py", 3, "better")
    assert await store.reviews.comments(tid) == [fresh]
    assert await store.reviews.new_round(tid) == 1
    assert await store.reviews.new_round(tid) == 0
    assert await store.reviews.comments(tid) == []
