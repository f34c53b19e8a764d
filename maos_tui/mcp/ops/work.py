"""claim_task and finish_task: an outside agent doing a task, under the scheduler's rules
(store/claims.py); and the server's own heartbeat for the claims of its client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.mcp.ops.tasks import full

if TYPE_CHECKING:
    from maos_tui.mcp.ops import Call
    from maos_tui.store import Store


async def claim_task(store: Store, call: Call) -> dict[str, Any]:
    from maos_tui.store import claims

    claim = await claims.claim_next(store, call.caller, call.args.get("capabilities") or ())
    if claim is None:
        return {"task": None}
    call.claims.append(claim.run_id)
    return {"task": full(claim.task)}


async def finish_task(store: Store, call: Call) -> dict[str, Any]:
    from maos_tui.store import claims

    args = call.args
    task = await claims.finish(
        store,
        call.caller,
        str(args.get("id", "")),
        args.get("summary"),
        args.get("failed_reason"),
    )
    return full(task)


async def heartbeat(store: Store, call: Call) -> dict[str, Any]:
    """Nothing beyond what every call does (perform): refresh and sweep claims."""
    return {"claims": list(call.claims)}


OPERATIONS = {"claim_task": claim_task, "finish_task": finish_task, "heartbeat": heartbeat}
