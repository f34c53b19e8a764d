"""A webhook URL may carry a secret: a user and password, a token in the query
(gotify's `?token=`, ntfy's `?auth=`), or a secret path (an ntfy topic is readable by
anyone who knows it; Slack-style hook paths are tokens). So a URL is only ever shown
as its scheme, host and port, and errors are cleaned of every part of it."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

HIDDEN = "***"


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = f"/{HIDDEN}" if parts.path.strip("/") or parts.query or parts.username else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def clean(text: str, url: str) -> str:
    """`text` (an error) with every secret-bearing piece of `url` replaced."""
    parts = urlsplit(url)
    pieces = {url, parts.netloc, parts.path, parts.query, parts.username, parts.password}
    pieces |= {value for _, _, value in (p.partition("=") for p in parts.query.split("&"))}
    pieces |= {segment for segment in parts.path.split("/") if len(segment) >= 4}
    pieces |= {unquote(p) for p in pieces if p}
    for piece in sorted((p for p in pieces if p and len(p) >= 3), key=len, reverse=True):
        text = text.replace(piece, HIDDEN)
    return text
