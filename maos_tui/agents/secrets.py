"""Keep API keys out of everything maos-tui writes: errors, logs, the store, WORKING.md."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Shapes providers use, for keys that are not in our environment (echoed request headers).
_SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+[A-Za-z0-9_.\-]{6,}|AIza[0-9A-Za-z_\-]{20,})"
)
REDACTED = "[redacted]"


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6}
    return sorted(values, key=len, reverse=True)  # longest first: no partial leftovers


def scrub(text: str, env: Mapping[str, str] | None = None) -> str:
    for value in secret_values(env):
        text = text.replace(value, REDACTED)
    return _SECRET_SHAPES.sub(REDACTED, text)
