"""A labelled one-line form field, shared by the task and agent forms."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Input, Label


def field_row(label: str, field: Input) -> Horizontal:
    return Horizontal(Label(label), field, classes="field")
