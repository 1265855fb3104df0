"""The Temporal side of meetings for the API and for series activities: connect, create, change.

Create is update-with-start (id ``meeting-<id>``, USE_EXISTING): a retried create reaches the
same workflow, whose create handler answers with the meeting it already booked. A meeting's
workflow finishes once nothing more can happen on its own; a later change (deleting a past
meeting) reopens it from the projection with update-with-start, so every lifecycle change still
goes through the workflow's validator and activity. Business refusals come back as domain
errors (Conflict, NotAllowed, Invalid). When the backend cannot confirm a change in time, the
caller is told the truth (issue 8): ``Unconfirmed`` if Temporal has it (it will be applied once
a worker processes it; a retry with the same Idempotency-Key learns the outcome), ``Unreachable``
if Temporal could not be reached (nothing was applied).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from tandem.domain.errors import ERRORS_BY_TYPE, Conflict, DomainError
from tandem.domain.meetings import Create, Meeting, MeetingInput
from tandem.domain.notifications import Contact
from tandem.domain.plans import PlanCommit, PlanProgress, PlanState
from tandem.domain.reassignments import BulkReassign
from tandem.domain.series import CreateSeries, Series, SeriesInput
from tandem.observability.interceptors import RequestIdClientInterceptor
from tandem.settings import Settings
from tandem.usecases.payload_codec import data_converter
from tandem.workflows import search_attributes
from tandem.workflows.bulk_reassign import BulkReassignmentWorkflow
from tandem.workflows.bulk_reassign import workflow_id as reassignment_workflow_id
from tandem.workflows.calendar_sync import CalendarSyncInput, CalendarSyncWorkflow
from tandem.workflows.calendar_sync import workflow_id as calendar_workflow_id
from tandem.workflows.meeting import UPDATES, MeetingWorkflow, workflow_id
from tandem.workflows.plan_commit import PlanCommitWorkflow
from tandem.workflows.plan_commit import workflow_id as plan_workflow_id
from tandem.workflows.series import SERIES_UPDATES, SeriesWorkflow
from tandem.workflows.series import workflow_id as series_workflow_id

T = TypeVar("T")

# How long background callers (series activities, imports) wait for a change; the API waits
# ``Settings.update_wait_seconds``.
UPDATE_TIMEOUT = timedelta(seconds=60)
# How long the "is Temporal there at all?" probe after a timeout may take.
PROBE_SECONDS = 2.0


class BackendUnavailable(Exception):
    """The change could not be confirmed; ``message`` says whether it may still happen."""

    message = ""


class Unconfirmed(BackendUnavailable):
    message = (
        "the change was received and will be applied when processing resumes; retry with the "
        "same Idempotency-Key to learn the outcome"
    )


class Unreachable(BackendUnavailable):
    message = "the scheduling backend (Temporal) could not be reached; nothing was applied"


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """``runtime``: the worker's, which records the SDK's metrics (tandem.observability)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=[RequestIdClientInterceptor()],
        runtime=runtime,
    )


def business_refusal(cause: BaseException | None) -> DomainError | None:
    """The business rule's error a workflow raised (a clash, a lifecycle rule), if it is one."""
    if isinstance(cause, ApplicationError) and cause.type in ERRORS_BY_TYPE:
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        return ERRORS_BY_TYPE[cause.type](cause.message, **details)
    return None


def domain_error(error: WorkflowUpdateFailedError) -> DomainError:
    """The business refusal behind a failed update; anything else is re-raised as is."""
    if (refusal := business_refusal(error.cause)) is not None:
        return refusal
    raise error


async def _reachable(client: Client) -> bool:
    try:
        return await asyncio.wait_for(client.service_client.check_health(), PROBE_SECONDS)
    except (TimeoutError, RPCError):
        return False


async def confirmed(client: Client, call: Awaitable[T], wait: timedelta = UPDATE_TIMEOUT) -> T:
    """Wait for an update's outcome, turning refusals into domain errors and a missing answer
    into ``Unconfirmed`` or ``Unreachable``."""
    try:
        return await asyncio.wait_for(call, wait.total_seconds())
    except WorkflowUpdateFailedError as error:
        raise domain_error(error) from None
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # The second is how the SDK reports the deadline cancelling its own update call.
        raise (Unconfirmed() if await _reachable(client) else Unreachable()) from None
    except RPCError as error:
        if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise Unreachable() from None
        raise


class AlreadyFinished(Exception):
    """A create retried after the meeting's workflow had already ended."""


class MeetingGateway:
    def __init__(
        self, client: Client, task_queue: str, *, wait: timedelta = UPDATE_TIMEOUT
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.wait = wait

    def _start(
        self, start: MeetingInput, reuse: WorkflowIDReusePolicy
    ) -> WithStartWorkflowOperation:
        meeting = start.meeting
        return WithStartWorkflowOperation(
            MeetingWorkflow.run,
            start,
            id=workflow_id(meeting.id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=reuse,
            search_attributes=search_attributes.for_meeting(meeting),
            static_summary=f"{meeting.kind.value}: {meeting.name}",
        )

    async def create(
        self,
        meeting: Meeting,
        actor_id: str,
        *,
        notify: bool = True,
        people: Sequence[Contact] = (),
    ) -> Meeting:
        """Book a new meeting; raises ``AlreadyFinished`` if this id's workflow already ended.
        ``people``: the facilitator, participants and actor as the caller read them."""
        start = self._start(MeetingInput(meeting=meeting), WorkflowIDReusePolicy.REJECT_DUPLICATE)
        try:
            return await confirmed(
                self.client,
                self.client.execute_update_with_start_workflow(
                    MeetingWorkflow.create,
                    Create(actor_id=actor_id, notify_participants=notify, people=list(people)),
                    start_workflow_operation=start,
                    id="create",
                ),
                self.wait,
            )
        except WorkflowAlreadyStartedError:
            raise AlreadyFinished(meeting.id) from None

    async def apply(self, current: Meeting, change: Any, *, request_id: str | None = None) -> Any:
        """Send one lifecycle message (Edit, Reschedule, …) as its update. ``current`` (the
        projection) reopens the workflow if it has finished."""
        start = self._start(
            MeetingInput(meeting=current, resumed=True), WorkflowIDReusePolicy.ALLOW_DUPLICATE
        )
        return await confirmed(
            self.client,
            self.client.execute_update_with_start_workflow(
                UPDATES[type(change)], change, start_workflow_operation=start, id=request_id
            ),
            self.wait,
        )


class SeriesGateway:
    """Series workflows: created with update-with-start, changed with updates while active."""

    def __init__(
        self, client: Client, task_queue: str, *, wait: timedelta = UPDATE_TIMEOUT
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.wait = wait

    async def create(self, series: Series, actor_id: str) -> Series:
        start = WithStartWorkflowOperation(
            SeriesWorkflow.run,
            SeriesInput(series=series),
            id=series_workflow_id(series.id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"1:1 series: {series.name}",
            search_attributes=search_attributes.for_series(series),
        )
        try:
            return await confirmed(
                self.client,
                self.client.execute_update_with_start_workflow(
                    SeriesWorkflow.create,
                    CreateSeries(actor_id=actor_id),
                    start_workflow_operation=start,
                    id="create",
                ),
                self.wait,
            )
        except WorkflowAlreadyStartedError:
            raise AlreadyFinished(series.id) from None

    async def apply(self, series_id: str, change: Any, *, request_id: str | None = None) -> Series:
        handle = self.client.get_workflow_handle_for(
            SeriesWorkflow.run, series_workflow_id(series_id)
        )
        try:
            return await confirmed(
                self.client,
                handle.execute_update(SERIES_UPDATES[type(change)], change, id=request_id),
                self.wait,
            )
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:  # its workflow finished: it has ended
                raise Conflict("the series has ended", status="ended") from None
            raise


class PlanGateway:
    """Team plan commits (W6): one durable workflow per plan, with live progress."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def commit(self, commit: PlanCommit) -> None:
        await self.client.start_workflow(
            PlanCommitWorkflow.run,
            commit,
            id=plan_workflow_id(commit.plan_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"commit team plan {commit.plan_id} ({len(commit.sessions)} sessions)",
            search_attributes=search_attributes.for_plan(commit, PlanState.COMMITTING),
        )

    async def progress(self, plan_id: str) -> PlanProgress:
        handle = self.client.get_workflow_handle_for(
            PlanCommitWorkflow.run, plan_workflow_id(plan_id)
        )
        return await handle.query(PlanCommitWorkflow.state)


class ReassignmentGateway:
    """Bulk reassignments (M10): one durable workflow per job; the job id decides the workflow,
    so starting the same job twice runs it once."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def start(self, job: BulkReassign) -> None:
        await self.client.start_workflow(
            BulkReassignmentWorkflow.run,
            job,
            id=reassignment_workflow_id(job.job_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"reassign from {job.from_user_id} to {job.to_user_id} ({job.scope})",
        )


class CalendarSyncGateway:
    """Connected calendars (K3): one sync workflow per connection, started with it."""

    def __init__(self, client: Client, task_queue: str, every: timedelta) -> None:
        self.client = client
        self.task_queue = task_queue
        self.every = every

    async def start(self, connection_id: str) -> None:
        await self.client.start_workflow(
            CalendarSyncWorkflow.run,
            CalendarSyncInput(
                connection_id=connection_id, every_seconds=int(self.every.total_seconds())
            ),
            id=calendar_workflow_id(connection_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"keep calendar {connection_id} in step",
        )

    async def stop(self, connection_id: str) -> None:
        await self._signal(connection_id, CalendarSyncWorkflow.stop)

    async def sync_now(self, connection_id: str) -> None:
        await self._signal(connection_id, CalendarSyncWorkflow.sync_now)

    async def _signal(self, connection_id: str, signal: Any) -> None:
        handle = self.client.get_workflow_handle_for(
            CalendarSyncWorkflow.run, calendar_workflow_id(connection_id)
        )
        with contextlib.suppress(RPCError):  # ended (the connection is gone): nothing to tell
            await handle.signal(signal)
