"""Service methods with a twin on the stdlib path, and what each twin leaves to the store.

A service method that has one says so where it is defined:

    @stdlib_twin(leaves_to_store=("notifications",))
    async def create(self, title: str, **fields: Any) -> TaskRecord: ...

`leaves_to_store` names the tables the service may write and its twin never does: where
the service would write them, the twin declines (NeedsStore, or None from an `open`)
before writing anything, and the store does the work. tests/test_stdlib_twins.py runs
each service method and its twin side by side, records the tables each reads and writes
(SQLite's authorizer), and fails when the service touches a table its twin neither
touches nor leaves to the store: a side effect added to a service cannot be skipped in
silence by its twin.

Importable without SQLAlchemy: the services import it, and so may the stdlib path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_F = TypeVar("_F", bound=Callable[..., object])


@dataclass(frozen=True)
class Twin:
    method: str  # the service method's qualified name, e.g. "TaskService.list"
    leaves_to_store: tuple[str, ...]  # tables the twin never writes (see above)


STDLIB_TWINS: dict[str, Twin] = {}


def stdlib_twin(*, leaves_to_store: tuple[str, ...] = ()) -> Callable[[_F], _F]:
    """Declare that the decorated service method has a stdlib twin (store/stdlib/)."""

    def register(method: _F) -> _F:
        name = method.__qualname__
        STDLIB_TWINS[name] = Twin(name, leaves_to_store)
        return method

    return register
