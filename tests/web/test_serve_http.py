"""`maos-tui serve` over real HTTP: the token guard, the Origin check, and that nothing but
an authorised websocket from the server's own page starts an app process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from maos_tui.tui.web.auth import cookie_name
from tests.conftest import Cli
from tests.web.conftest import Served, screen_text, start_serve, stop_serve, wait_for

APP_SECONDS = 120


async def _get(url: str, **headers: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers=headers, allow_redirects=False) as response,
    ):
        return response.status, await response.text(), response.headers


def _cookie_header(token: str) -> str:
    return f"{cookie_name(token)}={token}"


async def test_no_token_is_refused_and_starts_no_process(served: Served):
    for path in ("/", "/ws", "/static/js/textual.js", "/?token=wrong-token-0123456789"):
        status, text, _ = await _get(served.base + path)
        assert status == 401, (path, status)
        assert "token" in text
    status, _, _ = await _get(served.base + "/", Cookie=_cookie_header("x" * 43))
    assert status == 401
    # A websocket handshake without the token, from the right origin.
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"ws://127.0.0.1:{served.port}/ws", origin=served.base)
    assert refused.value.status == 401
    assert served.app_processes() == []


async def test_wrong_origin_is_refused_and_starts_no_process(served: Served):
    cookie = _cookie_header(served.token)
    async with aiohttp.ClientSession() as session:
        for origin in ("http://evil.example", f"http://127.0.0.1:{served.port + 1}", None):
            headers = {"Cookie": cookie} | ({"Origin": origin} if origin else {})
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"ws://127.0.0.1:{served.port}/ws", headers=headers)
            assert refused.value.status == 403, origin
    assert served.app_processes() == []


async def test_the_token_sets_the_cookie_and_gets_the_page(served: Served):
    status, _, headers = await _get(served.url + "&fontsize=20")
    assert status == 303
    # The token leaves the address bar; other parameters stay.
    assert headers["Location"] == "/?fontsize=20"
    set_cookie = headers["Set-Cookie"]
    assert f"{cookie_name(served.token)}={served.token}" in set_cookie
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    # Never a redirect to another site.
    _, _, headers = await _get(f"{served.base}//evil.example/?token={served.token}")
    assert headers["Location"] == "/evil.example/"
    status, page, _ = await _get(served.base + "/", Cookie=_cookie_header(served.token))
    assert status == 200
    # The page's websocket goes to the address this request used.
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page
    status, script, _ = await _get(
        served.base + "/static/js/textual.js", Cookie=_cookie_header(served.token)
    )
    assert status == 200 and "WebSocket" in script
    assert served.app_processes() == []  # a page is not a session


async def test_an_authorised_websocket_runs_the_app_until_it_closes(served: Served):
    """The control for the tests above: the same handshake with the cookie and the page's
    Origin does start an app, which draws the board."""
    headers = {"Cookie": _cookie_header(served.token), "Origin": served.base}
    drawn = b""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"ws://127.0.0.1:{served.port}/ws?width=100&height=30", headers=headers
        ) as ws,
    ):
        while "TASK-001" not in screen_text(drawn):
            message = await ws.receive(timeout=APP_SECONDS)
            assert message.type == aiohttp.WSMsgType.BINARY, (message, drawn[-500:])
            drawn += message.data
        assert served.app_processes()
    wait_for(lambda: not served.app_processes(), APP_SECONDS, "the app to end with its tab")


async def test_stopping_the_server_ends_its_apps(cli: Cli):
    cli.ok("init")
    running = start_serve(cli)
    headers = {"Cookie": _cookie_header(running.token), "Origin": running.base}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"ws://127.0.0.1:{running.port}/ws", headers=headers) as ws,
    ):
        await ws.receive(timeout=APP_SECONDS)
        apps = running.app_processes()
        assert apps
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=APP_SECONDS) == 0, running.output
    wait_for(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in apps),
        APP_SECONDS,
        "the apps of a stopped server to end",
    )


def test_a_non_loopback_host_warns(cli: Cli):
    cli.ok("init")
    served = start_serve(cli, "--host", "0.0.0.0")
    try:
        warning = "".join(served.output)
        assert "warning: serving on 0.0.0.0, reachable from other machines" in warning
        assert f":{served.port}/?token={served.token}" in served.url
    finally:
        stop_serve(served)


def test_the_loopback_default_does_not_warn(served: Served):
    assert "warning" not in "".join(served.output)
    assert served.url.startswith("http://127.0.0.1:")


def test_the_token_is_kept_user_only_and_reused(cli: Cli, served: Served):
    path = cli.workspace / ".maos" / "serve-token"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().strip() == served.token
    again = start_serve(cli)
    try:
        assert again.token == served.token
    finally:
        stop_serve(again)


def test_a_busy_port_is_one_error_line(cli: Cli):
    cli.ok("init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = cli.error("serve", "--port", str(port))
    assert line == f"error: cannot listen on 127.0.0.1:{port}: address already in use"


@pytest.mark.parametrize(
    ("port", "message"),
    [("http", "port must be a number, not 'http'"), ("70000", "between 0 and 65535")],
)
def test_a_bad_port_is_refused(cli: Cli, port: str, message: str):
    result = cli("serve", "--port", port)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_outside_a_workspace_is_refused(cli: Cli):
    line = cli.error("serve")
    assert "is not a maos-tui workspace" in line
    assert not (cli.workspace / ".maos").exists()


def test_without_the_web_extra_says_how_to_install_it(cli: Cli, workspace: Path):
    """textual-serve made unimportable the way Python marks a missing module (None in
    sys.modules), in a real CLI process."""
    cli.ok("init")
    blocked = (
        "import sys; sys.modules['textual_serve'] = None; "
        "from maos_tui.cli import main; raise SystemExit(main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked, "--workspace", str(workspace), "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli.env(),
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: `maos-tui serve` needs the web extra: pip install 'maos-tui[web]'\n"
    )
    assert not (workspace / ".maos" / "serve-token").exists()
