"""Keep API keys out of everything maos-tui writes: errors, logs, the store, WORKING.md."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Shapes providers use, for keys that are not in our environment (echoed request headers).
_SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+[A-Za-z0-9_.\-]{6,}|AIza[0-9A-Za-z_\-]{20,})"
)
REDACTED = "[redacted]"
# A URL's secrets: query values under a secret-like name (`?api_key=...`), and the password
# in `user:password@host`.
_QUERY_SECRET = re.compile(
    r"([?&;][^=&#\s]*(key|token|secret|password|passwd|pwd|sig|auth|credential)[^=&#\s]*=)"
    r"[^&#\s]+",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(://[^/:@\s]+:)[^@/\s]+(@)")


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    if env is None:
        return _environ_secrets()
    values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6}
    return sorted(values, key=len, reverse=True)  # longest first: no partial leftovers


# The process environment's secrets, with the environment they were taken from: scrub()
# runs twice per run, and reading os.environ decodes every variable (~0.3 ms). Comparing
# the raw mapping is a C-level dict comparison, so a changed variable is still seen.
_environ_cache: tuple[dict[Any, Any], list[str]] | None = None


def _environ_secrets() -> list[str]:
    global _environ_cache
    raw = getattr(os.environ, "_data", None)
    cached = _environ_cache
    if raw is not None and cached is not None and cached[0] == raw:
        return cached[1]
    values = secret_values(dict(os.environ))
    if raw is not None:
        _environ_cache = (dict(raw), values)
    return values


def scrub(text: str, env: Mapping[str, str] | None = None) -> str:
    if not text:
        return text
    for value in secret_values(env):
        text = text.replace(value, REDACTED)
    return mask_url_secrets(_SECRET_SHAPES.sub(REDACTED, text))


def mask_url_secrets(text: str) -> str:
    """`text` with the secrets of any URL in it redacted, for showing an api_base: the
    stored value keeps them, since the agent needs them."""
    text = _QUERY_SECRET.sub(rf"\g<1>{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<2>", text)
