"""How a task becomes a card, and the small formats (ages, money) shared by the widgets.

Cards are Textual Content with theme variables (`$priority-0`...), so a theme change
recolours them without rebuilding anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

from maos_tui.collab import LOOPING, NEEDS_HUMAN
from maos_tui.domain import TaskRecord, TaskStatus
from maos_tui.forecast import HELD
from maos_tui.printable import printable
from maos_tui.store.records import TaskRunFigures


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age(since: datetime, now: datetime) -> str:
    """`12s`, `3m`, `2h`, `4d`: short enough for a chip or a badge."""
    seconds = max(0, int((as_utc(now) - as_utc(since)).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_HELD_TOO = (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)


def money(amount: float) -> str:
    return f"${amount:.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.4f}"


def card_key(task: TaskRecord) -> tuple[object, ...]:
    """What `card` reads of a task: tasks with equal keys get the same card. The board
    compares keys, not whole records, so a change no card shows (the time a move was
    saved, a description) redraws nothing."""
    return (
        task.id,
        task.priority,
        task.title,
        task.assignees,
        task.blocked,
        task.status,
        task.status_reason,
        task.retry_count,
        task.max_retries,
        task.branch.card_note if task.branch else None,
    )


class Card(Visual):
    """A card drawn at its column's width: the head (priority, ID, title) takes a second
    line when the column is too narrow for it, cut with `…` if even that is not enough;
    the badge line never wraps. Rendered once per width (see CardList)."""

    def __init__(self, head: Content, tail: Content, keep: int) -> None:
        self.head = head
        self.tail = tail
        self.keep = keep  # the head's first `keep` characters (priority, ID) stay together
        self.content = Content("\n").join([head, tail])

    @property
    def plain(self) -> str:
        return self.content.plain

    @property
    def spans(self) -> list[object]:
        return list(self.content.spans)

    def __str__(self) -> str:
        return self.plain

    def lines(self, width: int) -> Content:
        text = self.head.plain
        if cell_len(text) <= width:
            return self.content
        cut = cells = 0
        for char in text:
            cells += cell_len(char)
            if cells > width:
                break
            cut += 1
        space = text.rfind(" ", self.keep, cut + 1)  # break between words when one fits
        first, rest = (space, space + 1) if space >= self.keep else (cut, cut)
        return Content("\n").join([self.head[:first], self.head[rest:], self.tail])

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.lines(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return 2 if self.head.cell_length <= width else 3


def card(task: TaskRecord, figures: TaskRunFigures | None, now: datetime) -> Card:
    """Priority, ID and title (on two lines in a narrow column); then assignees and badges
    (see card_key)."""
    head = Content.assemble(
        (f"P{task.priority}", f"$priority-{task.priority}"),
        " ",
        (task.id, "bold"),
        " ",
        printable(task.title),
    )
    badges: list[Content] = []
    if task.assignees:
        badges.append(
            Content.styled(printable(" ".join(f"@{a}" for a in task.assignees)), "$secondary")
        )
    if task.blocked:
        badges.append(Content.styled("blocked", "reverse $warning"))
    if task.status_reason == NEEDS_HUMAN:
        badges.append(Content.styled("needs human", "reverse $warning"))
    elif (task.status_reason or "").startswith(LOOPING):
        badges.append(Content.styled("⟳ looping", "reverse $warning"))
    if task.status is TaskStatus.FAILED:
        badges.append(Content.styled("failed", "reverse $error"))
    if task.status is TaskStatus.CANCELLED:
        badges.append(Content.styled("cancelled", "reverse $text-muted"))
    if task.retry_count:
        badges.append(Content.styled(f"↻{task.retry_count}/{task.max_retries}", "$warning"))
    if figures is not None and figures.running_since is not None:
        badges.append(Content.styled(f"▶ {age(figures.running_since, now)}", "$success"))
    if figures is not None and figures.cost_usd > 0:
        badges.append(Content.styled(money(figures.cost_usd), "$text-muted"))
    waiting = task.status in (TaskStatus.INBOX, TaskStatus.ASSIGNED) and task.status_reason
    # The forecast gate holds reviews and reworks too, and only a person lets them go on.
    held = (task.status_reason or "").startswith(HELD) and task.status in _HELD_TOO
    waiting = waiting or held
    if waiting and not task.blocked:
        # Why the scheduler cannot place it (e.g. `no agent with capability: sql`).
        badges.append(Content.styled(f"⏸ {printable(task.status_reason)}", "$warning"))
    note = task.branch.card_note if task.branch else None
    if note:  # the branch: `conflict: <files>`, `no changes`, `merged <sha>`
        style = "reverse $error" if task.branch and task.branch.conflict else "$text-muted"
        badges.append(Content.styled(printable(note), style))
    tail = Content(" ").join(badges) if badges else Content.styled("unassigned", "$text-muted")
    return Card(head, tail, len(f"P{task.priority} {task.id}"))


def more_prompt(hidden: int) -> Content:
    return Content.styled(f"… {hidden} more (enter to show)", "italic $text-muted")
