"""WORKING.md: a live, hand-editable markdown view of the store, kept in agreement both ways.

- `parse`: text -> `ParsedFile` (task lines, preserved text, problems). Never raises.
- `render`: `Board` (+ the previous file as layout) -> text. Pure.
- `merge`: applies a hand edit to the store as a three-way merge (base, theirs, ours);
  `holds`: the saves it holds for the user instead (a file cut short, a stale editor copy).
- `atomic`, `history`, `files`: crash-safe writes, revisions, the on-disk sync state.
- `sync`: `WorkingSync`, the long-running loop the TUI and `maos-tui run` start.
"""
