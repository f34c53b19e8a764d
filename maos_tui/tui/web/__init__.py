"""`maos-tui serve`: the TUI in a browser through textual-serve, behind the workspace's token.

textual-serve is an optional extra (`maos-tui[web]`); nothing here is imported unless the
command runs. Each browser tab is an app process of its own, started by textual-serve.
"""
