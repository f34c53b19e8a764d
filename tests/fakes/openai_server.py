"""A small OpenAI-compatible chat completions server on 127.0.0.1, for tests.

It speaks real HTTP, so requests go through litellm and the OpenAI client exactly as they
would to a provider, and no test ever reaches one. Replies are scripted:

    with FakeOpenAI() as server:
        server.script(tool_call("complete_task", summary="done"))   # next replies, in order
        server.default = text("hello")                             # then this, forever
        server.responder = lambda request: ...                     # or decide per request
        agent api_base = server.base_url  (model "openai/<anything>", any API key)
        server.requests  -> every request body received (dicts), with .headers alongside

Streaming requests (`"stream": true`) get the same reply as server-sent events.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()  # (name, raw JSON arguments)
    delay: float = 0.0
    tokens: tuple[int, int] = (12, 7)  # prompt, completion
    error: str = ""

    def slow(self, seconds: float) -> Reply:
        return Reply(self.status, self.content, self.tool_calls, seconds, self.tokens, self.error)


def text(content: str, tokens: tuple[int, int] = (12, 7)) -> Reply:
    return Reply(content=content, tokens=tokens)


def tool_call(name: str, raw_arguments: str | None = None, **arguments: Any) -> Reply:
    """One tool call; pass raw_arguments to send malformed JSON on purpose."""
    raw = raw_arguments if raw_arguments is not None else json.dumps(arguments)
    return Reply(tool_calls=((name, raw),))


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    return Reply(tool_calls=tuple((name, json.dumps(args)) for name, args in calls))


def error(status: int, message: str = "scripted error") -> Reply:
    return Reply(status=status, error=message)


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]  # names lowercased

    def text(self) -> str:
        """All message contents of the request, joined (to look for a string)."""
        return "\n".join(str(m.get("content") or "") for m in self.body.get("messages", []))


@dataclass
class FakeOpenAI:
    default: Reply | None = None
    responder: Callable[[Received], Reply] | None = None
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ control

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake._answer(self, Received(body, {k.lower(): v for k, v in self.headers.items()}))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _next_reply(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return self.responder(received)
        return self.default or error(500, "the fake server has no scripted reply left")

    def _answer(self, handler: BaseHTTPRequestHandler, received: Received) -> None:
        reply = self._next_reply(received)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            if reply.status != 200:
                payload = {"error": {"message": reply.error, "type": "fake", "code": reply.status}}
                self._send(handler, reply.status, "application/json", json.dumps(payload))
            elif received.body.get("stream"):
                self._send(handler, 200, "text/event-stream", self._stream(received, reply))
            else:
                self._send(
                    handler, 200, "application/json", json.dumps(self._body(received, reply))
                )
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout or a cancelled run): expected in tests

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, text: str) -> None:
        data = text.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _message(self, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": raw},
                }
                for name, raw in reply.tool_calls
            ]
        return message

    def _usage(self, reply: Reply) -> dict[str, int]:
        prompt, completion = reply.tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _body(self, received: Received, reply: Reply) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": received.body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": self._message(reply),
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": self._usage(reply),
        }

    def _stream(self, received: Received, reply: Reply) -> str:
        base = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": received.body.get("model", "fake"),
        }
        message = self._message(reply)
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        for word in (reply.content or "").split(" "):
            if word:
                deltas.append({"content": word + " "})
        for index, call in enumerate(message.get("tool_calls", [])):
            deltas.append({"tool_calls": [{"index": index, **call}]})
        chunks = [{**base, "choices": [{"index": 0, "delta": d}]} for d in deltas]
        finish = "tool_calls" if reply.tool_calls else "stop"
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        chunks.append({**base, "choices": [], "usage": self._usage(reply)})
        return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
