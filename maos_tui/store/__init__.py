"""The store: tables, engine, migrations and the one service layer that mutates state.

`Store` and `Tx` are imported when first asked for: the stdlib path (stdlib/: the board's
first paint, the one-shot read commands and `task add`) uses modules of this package
without loading SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.store.errors import DatabaseLockedError, DatabaseUnavailableError, StoreError

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

__all__ = ["DatabaseLockedError", "DatabaseUnavailableError", "Store", "StoreError", "Tx"]


def __getattr__(name: str) -> Any:
    if name in ("Store", "Tx"):
        from maos_tui.store import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
