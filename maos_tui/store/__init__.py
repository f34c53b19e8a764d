"""The store: tables, engine, migrations and the one service layer that mutates state."""

from maos_tui.store.core import Store, Tx
from maos_tui.store.engine import DatabaseLockedError, StoreError

__all__ = ["DatabaseLockedError", "Store", "StoreError", "Tx"]
