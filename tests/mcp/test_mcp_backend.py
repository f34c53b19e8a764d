"""A client's claims when its calls overlap: each call changes only what it changed."""

from __future__ import annotations

from maos_tui.mcp.backend import _update


def test_overlapping_calls_keep_each_others_claims() -> None:
    claims = [1]
    sent_by_claim, sent_by_list = list(claims), list(claims)
    _update(claims, sent_by_claim, [1, 2])  # claim_task took run 2
    _update(claims, sent_by_list, [1])  # a list_tasks that started before it ends after
    assert claims == [1, 2]


def test_an_ended_claim_is_dropped() -> None:
    claims = [1, 2]
    sent = list(claims)
    claims.append(3)  # taken by another call meanwhile
    _update(claims, sent, [2])  # this call's refresh found run 1 ended
    assert claims == [2, 3]
