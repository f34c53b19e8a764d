"""The cyclic garbage collector around a command's start-up.

Start-up builds a few hundred thousand objects that live until the process ends, above all
the modules of SQLAlchemy, SQLModel and pydantic. The collector walks all of them again and
again while they are created, and the interpreter's final collections walk them once more
at exit: together ~1/5 of a one-shot `task add`. So `main` pauses collection while the
command starts; `resume()`, once the store is open (or the command ends without one),
freezes what start-up built, so that no collection walks it again (long-running processes
gain too), and collects again from there; exit freezes whatever was built since.

Once per process: a caller that runs `main` in a loop would otherwise freeze each round's
garbage for good.
"""

from __future__ import annotations

import atexit
import gc

_state = {"paused": False, "done": False}


def pause() -> None:
    """Stop collecting until `resume()`; only the first time, and only if enabled."""
    if _state["done"] or not gc.isenabled():
        return
    gc.disable()
    _state["paused"] = True
    atexit.register(gc.freeze)


def resume() -> None:
    """The command's heavy modules are loaded: keep them out of collections, collect again."""
    if not _state["paused"]:
        return
    gc.freeze()
    gc.enable()
    _state["paused"] = False
    _state["done"] = True
