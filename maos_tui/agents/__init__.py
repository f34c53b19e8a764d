"""Agent runners: how one run of one agent on one task is executed.

`runner_for` picks the runner of an agent's kind. litellm is imported only inside the LLM
runner, so nothing here slows down CLI commands that never run an agent.
"""

from maos_tui.agents.base import Job, Outcome, RunHooks, Runner, RunnerFactory, RunResult
from maos_tui.agents.factory import runner_for

__all__ = ["Job", "Outcome", "RunHooks", "RunResult", "Runner", "RunnerFactory", "runner_for"]
