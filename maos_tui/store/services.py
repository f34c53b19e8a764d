"""The store's services, one per kind of thing it holds, opened with the Store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maos_tui.store.agent_context import AgentContextView
    from maos_tui.store.agent_status import AgentStatusService
    from maos_tui.store.agents import AgentService
    from maos_tui.store.alerts import AlertLog
    from maos_tui.store.core import Store
    from maos_tui.store.documents import DocumentService
    from maos_tui.store.forecast_holds import ForecastHoldService
    from maos_tui.store.leases import LeaseService
    from maos_tui.store.loops import LoopService
    from maos_tui.store.messages import MessageService
    from maos_tui.store.notifications import NotificationService
    from maos_tui.store.reviews import ReviewService
    from maos_tui.store.runs import RunService
    from maos_tui.store.scheduling import SchedulingService
    from maos_tui.store.search import SearchService
    from maos_tui.store.tasks import TaskService
    from maos_tui.store.workers import WorkerService
    from maos_tui.store.worktree_state import TaskBranchService


class Services:
    """What `Store` offers its callers besides transactions. Imported when the store
    opens, not before: the stdlib path (store/stdlib/) never loads them."""

    tasks: TaskService
    agents: AgentService
    agent_status: AgentStatusService
    agent_context: AgentContextView
    runs: RunService
    scheduling: SchedulingService
    messages: MessageService
    documents: DocumentService
    notifications: NotificationService
    search: SearchService
    reviews: ReviewService
    branches: TaskBranchService
    alerts: AlertLog
    loops: LoopService
    forecasts: ForecastHoldService
    workers: WorkerService
    leases: LeaseService

    def _open_services(self: Store) -> None:
        from maos_tui.store.agent_context import AgentContextView
        from maos_tui.store.agent_status import AgentStatusService
        from maos_tui.store.agents import AgentService
        from maos_tui.store.alerts import AlertLog
        from maos_tui.store.documents import DocumentService
        from maos_tui.store.forecast_holds import ForecastHoldService
        from maos_tui.store.leases import LeaseService
        from maos_tui.store.loops import LoopService
        from maos_tui.store.messages import MessageService
        from maos_tui.store.notifications import NotificationService
        from maos_tui.store.reviews import ReviewService
        from maos_tui.store.runs import RunService
        from maos_tui.store.scheduling import SchedulingService
        from maos_tui.store.search import SearchService
        from maos_tui.store.tasks import TaskService
        from maos_tui.store.workers import WorkerService
        from maos_tui.store.worktree_state import TaskBranchService

        self.tasks = TaskService(self)
        self.agents = AgentService(self)
        self.agent_status = AgentStatusService(self)
        self.agent_context = AgentContextView(self)
        self.runs = RunService(self)
        self.scheduling = SchedulingService(self)
        self.messages = MessageService(self)
        self.documents = DocumentService(self)
        self.notifications = NotificationService(self)
        self.search = SearchService(self)
        self.reviews = ReviewService(self)
        self.branches = TaskBranchService(self)
        self.alerts = AlertLog(self)
        self.loops = LoopService(self)
        self.forecasts = ForecastHoldService(self)
        self.workers = WorkerService(self)
        self.leases = LeaseService(self)
