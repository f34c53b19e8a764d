"""The token guard around textual-serve's aiohttp app: it has no authentication of its own.

Every request must carry the workspace's serve token: once as `?token=`, which is moved
into an HttpOnly, SameSite=Strict cookie and out of the address bar by a redirect, then
in that cookie. Anything else is answered 401 before textual-serve's handler runs, so a
refused websocket never starts an app process. The websocket must also come from a page
of this server (its `Origin` names the host it connects to): a cookie alone would let any
page the browser has open drive the app.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import hdrs, web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

TOKEN_PARAMETER = "token"
REFUSED = "401: this maos-tui needs its token; open the URL `maos-tui serve` printed\n"
WRONG_ORIGIN = "403: this websocket only answers pages of this server\n"


def cookie_name(token: str) -> str:
    """Cookies are shared by every port of a host: a name of its own per workspace token
    keeps two workspaces served from one host from overwriting each other's."""
    return "maos_serve_" + hashlib.sha256(token.encode()).hexdigest()[:12]


def is_websocket(request: web.Request) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def same_origin(request: web.Request) -> bool:
    origin = urlsplit(request.headers.get(hdrs.ORIGIN, ""))
    return origin.scheme in {"http", "https"} and origin.netloc.lower() == request.host.lower()


def _matches(offered: str, token: str) -> bool:
    return hmac.compare_digest(offered.encode(), token.encode())


def token_guard(token: str) -> Middleware:
    cookie = cookie_name(token)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        offered = request.query.get(TOKEN_PARAMETER)
        presented = offered if offered is not None else request.cookies.get(cookie, "")
        if not _matches(presented, token):
            return web.Response(status=401, text=REFUSED)
        websocket = is_websocket(request)
        if websocket and not same_origin(request):
            return web.Response(status=403, text=WRONG_ORIGIN)
        if offered is not None and not websocket:
            # Out of the address bar, the history and any Referer: from now on, the cookie.
            # One leading slash: `//host/` would send the browser to another site.
            here = request.rel_url.without_query_params(TOKEN_PARAMETER)
            location = "/" + str(here).lstrip("/")
            response = web.Response(status=303, headers={hdrs.LOCATION: location})
            response.set_cookie(cookie, token, httponly=True, samesite="Strict", path="/")
            return response
        return await handler(request)

    return guard
