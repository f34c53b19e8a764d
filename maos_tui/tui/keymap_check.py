"""What a `[keymap]` in the config gets wrong: a binding id that does not exist (it is
ignored), and a key that another live binding already has (one of them stops working).

Free of Textual, so `maos-tui doctor` reports the same problems the TUI shows at start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from maos_tui.config import Config
from maos_tui.config_lines import quoted
from maos_tui.tui.keys import KEYS, KeySpec, display_key

# The screen a widget's bindings live in; screens live in the app, whose bindings are live
# everywhere. Two bindings can clash only when one scope encloses the other.
_ENCLOSING = {
    "list": "main",
    "links": "detail",
    "doclist": "detail",
    "notify-list": "notifications",
}

# Textual's own keys, live everywhere and not remappable by id: a binding given one of them
# never fires (ctrl+q has priority) or loses the user's way out of the app.
_TEXTUAL_KEYS = (
    KeySpec("textual.quit", "ctrl+q", "quit", "Quit, Textual's own", "", "app"),
    KeySpec("textual.copy", "ctrl+c", "help_quit", "Copy or explain quitting", "", "app"),
    KeySpec("textual.palette", "ctrl+p", "command_palette", "Command palette", "", "app"),
)


def _scopes_around(scope: str) -> set[str]:
    scopes = {scope, "app"}
    while scope in _ENCLOSING:
        scope = _ENCLOSING[scope]
        scopes.add(scope)
    return scopes


def _overlap(a: str, b: str) -> bool:
    return a in _scopes_around(b) or b in _scopes_around(a)


def _keys(keys: str) -> set[str]:
    return {key.strip() for key in keys.split(",") if key.strip()}


def keymap_problems(keymap: Mapping[str, str], specs: Sequence[KeySpec] = KEYS) -> list[str]:
    """One line per unknown binding id and per key a remapped binding shares with another."""
    by_id = {spec.id: spec for spec in specs}
    problems = []
    for binding_id in keymap:
        if binding_id not in by_id:
            import difflib  # only a keymap with a typo pays for it

            close = difflib.get_close_matches(binding_id, list(by_id), n=1)
            hint = f"; did you mean {quoted(close[0])}?" if close else ""
            problems.append(f"keymap: unknown binding id {quoted(binding_id)}, ignored{hint}")
    everyone = (*specs, *_TEXTUAL_KEYS)
    chosen = {spec.id: _keys(keymap.get(spec.id, spec.keys)) for spec in everyone}
    shipped = {spec.id: _keys(spec.keys) for spec in everyone}
    reported: set[frozenset[str]] = set()
    for binding_id in keymap:
        spec = by_id.get(binding_id)
        if spec is None:
            continue
        for other in everyone:
            pair = frozenset((spec.id, other.id))
            # Keys the shipped table already shares are layered on purpose (a focused list's
            # enter over its screen's): only a sharing the keymap brings is a clash.
            shared = (chosen[spec.id] & chosen[other.id]) - (shipped[spec.id] & shipped[other.id])
            if other is spec or not shared or pair in reported:
                continue
            if not _overlap(spec.scope, other.scope):
                continue
            reported.add(pair)
            keys = ", ".join(display_key(k) for k in sorted(shared))
            problems.append(
                f"keymap: {quoted(spec.id)} = {quoted(keymap[spec.id])} takes {keys} from "
                f"{quoted(other.id)} ({other.description}); only one of them will work"
            )
    return problems


def config_notice(config: Config) -> str:
    """What the TUI says once at start: the config's warnings (stderr is hidden behind the
    app's screen) and the keymap's problems; empty when there are none."""
    return "\n".join([*config.warnings, *keymap_problems(config.keymap)])
