"""Alert test fixtures: a webhook server on 127.0.0.1 (http.server in a thread) that
records every POST and answers with the status the test sets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Hook:
    """`status` is what the next POSTs get; `posts` what came, answered or not."""

    port: int = 0
    status: int = 200
    delay: float = 0.0  # seconds before answering: a hook that hangs
    posts: list[Post] = field(default_factory=list)
    ok_posts: list[Post] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            post = Post(self.path, dict(self.headers.items()), body)
            time.sleep(state.delay)
            with lock:
                status = state.status
                state.posts.append(post)
                if status < 300:
                    state.ok_posts.append(post)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)
