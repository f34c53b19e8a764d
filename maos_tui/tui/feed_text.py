"""One line of text for an Activity, shared by the feed and the task history."""

from __future__ import annotations

from maos_tui.domain import ActivityRecord
from maos_tui.printable import printable


def describe(activity: ActivityRecord) -> str:
    """Plain text (never markup) with control characters escaped: details carry titles,
    reasons and names that users and agents wrote."""
    details = activity.details
    text = activity.summary()
    if "to" in details and "from" in details:
        text += f" {details['from']} → {details['to']}"
    elif isinstance(details.get("agents"), list):
        text += " " + ", ".join(str(a) for a in details["agents"])  # type: ignore[union-attr]
    elif isinstance(details.get("recipients"), list):  # a mention
        text += " → " + ", ".join(f"@{r}" for r in details["recipients"])  # type: ignore[union-attr]
    if details.get("document"):
        text += f" {details['document']} v{details.get('version')}"
    if details.get("reason"):
        text += f" ({details['reason']})"
    return printable(text)
