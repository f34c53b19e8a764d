"""An OpenAI-compatible endpoint on 127.0.0.1 that misbehaves on purpose, per task.

The shared fake server (tests/fakes) answers well-formed replies; the faults here live
below that level (a connection that hangs or is cut mid-body, a body that is not JSON), so
this server writes raw HTTP. Each request picks its behaviour from a `provider-<mode>`
marker in the task title, which the agent's prompt carries.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("hang", "drop", "badjson", "unknowntool", "manytools", "huge", "echokey", "overreach")
TRAVERSAL_TITLE = "../../../outside-pwned.md"
_MODE = re.compile(r"provider-(" + "|".join(MODES) + r")")
HANG_LIMIT = 60.0  # a hung reply is released at stop(), or after this as a backstop


def completion(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-hostile",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "hostile",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for n, (name, args) in enumerate(calls)
            ],
        }
    )


class HostileProvider:
    def __init__(self) -> None:
        self.released = threading.Event()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> HostileProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                text = json.dumps(body.get("messages", []))
                found = _MODE.search(text)
                mode = found.group(1) if found else "complete"
                provider.requests.append((mode, dict(self.headers.items())))
                follow_up = any(m.get("role") == "tool" for m in body.get("messages", []))
                # The client giving up is what some modes are for.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    provider.answer(self, mode, follow_up)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, mode: str, follow_up: bool) -> None:
        done = tool_calls(("complete_task", {"summary": "finished"}))
        if mode == "hang":
            self.released.wait(HANG_LIMIT)
            return
        if mode == "drop":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "5000")
            handler.end_headers()
            handler.wfile.write(b'{"id": "chatcmpl-cut", "choices": [{"index": 0, "mess')
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        if mode == "badjson":
            return _send(handler, 200, b'{"id": "x", "choices": [ this is not json')
        if mode == "echokey":  # a provider error that quotes the request's auth header
            echoed = f"invalid key in header: Authorization: {handler.headers['Authorization']}"
            payload = {"error": {"message": echoed, "type": "auth", "code": 401}}
            return _send(handler, 401, json.dumps(payload).encode())
        if mode == "unknowntool" and not follow_up:
            reply = tool_calls(("format_disk", {"path": "/"}))
        elif mode == "manytools" and not follow_up:
            reply = tool_calls(*[("post_message", {"text": f"note {n}"}) for n in range(100)])
        elif mode == "overreach" and not follow_up:  # a model trying to leave its sandbox
            reply = tool_calls(
                ("write_document", {"title": TRAVERSAL_TITLE, "content": "escaped"}),
                ("create_task", {"title": "flood", "description": "d" * (10 * 1024 * 1024)}),
                ("request_changes", {"reason": "not offered to a work run"}),
                ("run_shell", {"command": "touch pwned"}),
            )
        elif mode == "huge":
            reply = completion({"role": "assistant", "content": "z" * (10 * 1024 * 1024)})
        else:
            reply = done
        _send(handler, 200, json.dumps(reply).encode())


def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
