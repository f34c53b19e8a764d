"""What the scheduler records about runs caught looping (maos_tui/scheduler/loops.py):
the nudge the agent got, and the stop that parks its task until a person looks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maos_tui.collab import LOOPING, MessageType
from maos_tui.store.agent_status import SCHEDULER

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

REASON_CHARS = 500


class LoopService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def nudged(self, task_id: str, run_id: int, agent: str, evidence: str) -> None:
        """The agent was told it is repeating itself."""
        async with self.store.write() as tx:
            await tx.activity(
                SCHEDULER, "nudged looping agent", task_id, run=run_id, agent=agent, loop=evidence
            )

    async def park_in(self, tx: Tx, task_id: str, run_id: int, agent: str, evidence: str) -> None:
        """The run went on looping after its nudge and was stopped: the run ends `looping`,
        and the task waits, as on an agent's question, until a person answers in its
        thread (then it runs again). No retry is counted: another run would loop the same."""
        store = self.store
        await store.runs.finish_in(tx, run_id, "looping", evidence[:REASON_CHARS])
        # The evidence sits in a code block: a name in it mentions nobody.
        quoted = evidence.replace("```", "'''")
        text = (
            "maos-tui stopped my run: I kept looping after being told.\n"
            f"```\n{quoted}\n```\n"
            "Say in this thread how to go on, and the task runs again (or cancel it)."
        )
        await store.messages.post_in(tx, task_id, agent, text, MessageType.QUESTION.value)
        await store.scheduling.note_in(
            tx,
            task_id,
            "stopped looping run",
            {"run": run_id, "agent": agent, "loop": evidence},
            status_reason=f"{LOOPING}: {evidence}"[:REASON_CHARS],
            last_error=f"looping: {evidence}",
        )
