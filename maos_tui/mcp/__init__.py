"""`maos-tui mcp`: the board as an MCP server for coding agents (Claude Code, Cursor, Codex).

Only `server.py`, `tools.py` and `http.py` import the `mcp` SDK. The operations (ops/) are
plain store calls, so the TUI or `maos-tui run` can run them for an MCP server over its
socket without loading the SDK.
"""
