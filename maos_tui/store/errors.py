"""The store's errors, importable without SQLAlchemy: the board's first paint and the
screens catch them before (or without) the store being opened."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The database could not be used; the message is meant for the user as-is."""


class DatabaseLockedError(StoreError):
    """Another process held the write lock past busy_timeout; trying again may succeed."""
