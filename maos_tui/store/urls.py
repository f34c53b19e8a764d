"""Database URLs: one line saying why maos-tui cannot use one, and URLs shown without secrets.

Every message that shows a URL shows it through `masked`: a URL typed on the command line or
set in MAOS_DB_URL may carry a password.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from maos_tui.store.errors import StoreError

# The async driver maos-tui runs each database on.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# The optional dependency (`pip install 'maos-tui[EXTRA]'`) that installs a driver module.
DRIVER_EXTRAS = {"asyncpg": "postgres"}
_SUPPORTED = (
    "maos-tui runs on sqlite+aiosqlite:///PATH, or postgresql+asyncpg://... "
    "with pip install 'maos-tui[postgres]'"
)

# For text SQLAlchemy cannot parse: `scheme://user:password@...`.
_USERINFO_PASSWORD = re.compile(r"^([^:/?#]+://[^:/?#@]*:)[^@]*@")
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|pwd|secret|token|api_key)=)[^&#]*", re.I)


def masked(url: str | URL) -> str:
    """`url` with its password, in the user part or the query, shown as ***."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = _USERINFO_PASSWORD.sub(r"\1***@", str(url))
    return _QUERY_SECRET.sub(r"\1***", shown)


def install_hint(module: str) -> str:
    """How to get a missing driver module: its extra, or the drivers maos-tui runs on."""
    extra = DRIVER_EXTRAS.get(module)
    return f"pip install 'maos-tui[{extra}]'" if extra else _SUPPORTED


def unsupported_error(url: str) -> StoreError:
    """The one line for a URL SQLAlchemy can open but maos-tui does not run on."""
    return StoreError(f"cannot use {masked(url)}: {_SUPPORTED}")


def url_error(url: str, exc: BaseException) -> StoreError:
    """The one line for a URL whose engine could not be created (`exc` is what
    create_async_engine raised: a missing module, an unknown or synchronous driver)."""
    shown = masked(url)
    if isinstance(exc, ImportError):
        module = exc.name or "?"
        return StoreError(
            f"cannot open {shown}: the database driver {module} is not installed "
            f"({install_hint(module)})"
        )
    try:
        parsed = make_url(url)
    except ArgumentError:
        return StoreError(
            f"invalid database URL {shown!r}: expected e.g. sqlite+aiosqlite:///path/state.db"
        )
    if isinstance(exc, NoSuchModuleError):
        name = parsed.drivername
        return StoreError(f"unknown database driver {name!r} in {shown} ({_SUPPORTED})")
    async_driver = ASYNC_DRIVERS.get(parsed.get_backend_name())
    if async_driver is None or async_driver == parsed.drivername:
        return StoreError(f"cannot use {shown}: {exc} ({_SUPPORTED})")
    return StoreError(
        f"{parsed.drivername}:// is a synchronous driver and maos-tui needs an async one: "
        f"use {masked(parsed.set(drivername=async_driver))}"
    )
