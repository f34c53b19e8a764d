"""A labelled one-line form field, shared by the task and agent forms."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def field_row(label: str, field: Widget) -> Horizontal:
    return Horizontal(Label(label), field, classes="field")
