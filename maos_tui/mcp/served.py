"""The serving side of an MCP call sent by mcp/backend.py: the TUI or `maos-tui run` runs
it on its own store (commands/server.py hands these requests here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.mcp.ops import Call, CallFailed, perform

if TYPE_CHECKING:
    from maos_tui.config import Config, Workspace
    from maos_tui.store import Store


async def answer(
    store: Store, workspace: Workspace, config: Config, request: Any
) -> dict[str, Any]:
    if not isinstance(request, dict):
        return {"refused": "malformed request"}
    name, args, caller = request.get("op"), request.get("args"), request.get("caller")
    claims = request.get("claims", [])
    if not (
        isinstance(name, str)
        and isinstance(args, dict)
        and isinstance(caller, str)
        and isinstance(claims, list)
        and all(isinstance(c, int) for c in claims)
    ):
        return {"refused": "malformed request"}
    call = Call(caller, args, config, workspace, claims)
    try:
        result = await perform(store, name, call)
    except CallFailed as exc:
        return {"error": str(exc), "claims": call.claims}
    return {"result": result, "claims": call.claims}
