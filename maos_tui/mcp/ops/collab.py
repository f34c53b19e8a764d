"""post_message, write_document, search: as `msg post`, `doc add` and `search`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from maos_tui.collab import check_document_size, parse_message_type
from maos_tui.domain import validate_positive

if TYPE_CHECKING:
    from maos_tui.mcp.ops import Call
    from maos_tui.store import Store


async def post_message(store: Store, call: Call) -> dict[str, Any]:
    args = call.args
    kind = parse_message_type(args.get("type") or "comment")
    message = await store.messages.post(
        str(args.get("id", "")), call.caller, str(args.get("text", "")), kind.value
    )
    return {**message.to_json(), "warnings": message.mentions.warnings}


async def write_document(store: Store, call: Call) -> dict[str, Any]:
    args = call.args
    content = str(args.get("content", ""))
    check_document_size(len(content.encode("utf-8")), "the content")
    doc = await store.documents.write(
        str(args.get("id", "")), str(args.get("title", "")), content, call.caller
    )
    return doc.to_json()


async def search(store: Store, call: Call) -> dict[str, Any]:
    given = call.args.get("limit")
    limit = validate_positive("limit", 20 if given is None else int(given))
    hits = await store.search.search(str(call.args.get("text", "")), limit=limit)
    return {"hits": [hit.to_json() for hit in hits]}


OPERATIONS = {"post_message": post_message, "write_document": write_document, "search": search}
