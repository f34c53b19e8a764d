"""The webhook channel: a POST per message.

The body follows the URL's service, told by `webhook_format` or guessed from the URL:
- ntfy (host ntfy.sh or ntfy.*): the text as the body, with Title and Priority headers
  (a title that is not ASCII RFC 2047-encoded);
- gotify (a path ending in /message): JSON {title, message, priority} (0-10);
- anything else: the message as JSON (alerts/model.py Message.to_json).
A user and password in the URL become a Basic Authorization header. The URL is never
shown: `label` and errors carry its masked form (secrets.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit, urlunsplit

from maos_tui.alerts.channels import Channel, ChannelError, plain
from maos_tui.alerts.model import Message
from maos_tui.alerts.secrets import clean, mask_url

FORMATS = ("json", "ntfy", "gotify")
_READ_BYTES = 4096


def guess_format(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "ntfy.sh" or host.startswith("ntfy."):
        return "ntfy"
    if parts.path.rstrip("/").endswith("/message"):
        return "gotify"
    return "json"


def request_for(url: str, message: Message, form: str) -> urllib.request.Request:
    parts = urlsplit(url)
    headers = {"User-Agent": "maos-tui"}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        netloc = parts.netloc.rpartition("@")[2]
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    if form == "ntfy":
        body = message.body.encode()
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Title"] = header_text(plain(message.title))
        headers["Priority"] = str(message.priority)
    else:
        doc: object = message.to_json()
        if form == "gotify":
            doc = {
                "title": message.title,
                "message": message.body,
                "priority": message.priority * 2,
            }
        body = json.dumps(doc).encode()
        headers["Content-Type"] = "application/json"
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def header_text(text: str) -> str:
    """A header value: ASCII as it is, anything else as an RFC 2047 encoded word (header
    values travel as Latin-1; ntfy decodes these since 2.4)."""
    if text.isascii():
        return text
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


class WebhookChannel(Channel):
    name = "webhook"

    def __init__(self, url: str, form: str = "auto", timeout: float = 10.0) -> None:
        self.url = url
        self.form = guess_format(url) if form == "auto" else form
        self.timeout = timeout

    @property
    def label(self) -> str:
        return f"webhook {mask_url(self.url)}"

    async def send(self, message: Message) -> None:
        request = request_for(self.url, message, self.form)
        # urllib blocks; a thread keeps the loop (and the scheduler on it) going.
        await asyncio.to_thread(self._post, request)

    def _post(self, request: urllib.request.Request) -> None:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(_READ_BYTES)
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"HTTP {exc.code} {clean(str(exc.reason), self.url)}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(clean(f"cannot reach it: {reason}", self.url)) from None
