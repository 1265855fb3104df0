"""The Temporal worker process: meeting workflows, their activities, and the mail dispatcher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.runtime import Runtime
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tandem.activities.calendars import CalendarActivities
from tandem.activities.digest import DigestActivities
from tandem.activities.mail import FileTransport, MailDispatcher, SmtpTransport
from tandem.activities.meetings import MeetingActivities
from tandem.activities.plans import PlanActivities
from tandem.activities.reassignments import ReassignmentActivities
from tandem.activities.series import SeriesActivities
from tandem.observability.interceptors import RequestIdWorkerInterceptor
from tandem.observability.metrics import watch_outbox
from tandem.observability.runtime import worker_runtime
from tandem.observability.temporal_metrics import TemporalMetrics, forward_temporal_metrics
from tandem.settings import Settings
from tandem.store.db import Database
from tandem.usecases.context import Services
from tandem.usecases.temporal import AlreadyFinished, MeetingGateway, connect
from tandem.workflows.bulk_reassign import BulkReassignmentWorkflow
from tandem.workflows.calendar_sync import CalendarSyncWorkflow
from tandem.workflows.digest import DigestInput, DigestWorkflow
from tandem.workflows.digest import workflow_id as digest_workflow_id
from tandem.workflows.meeting import MeetingWorkflow
from tandem.workflows.plan_commit import PlanCommitWorkflow
from tandem.workflows.series import SeriesWorkflow

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (
    MeetingWorkflow,
    SeriesWorkflow,
    DigestWorkflow,
    CalendarSyncWorkflow,
    PlanCommitWorkflow,
    BulkReassignmentWorkflow,
)


def sandboxed_runner() -> SandboxedWorkflowRunner:
    """The determinism guard, used by the tests: any clock, random or I/O call in workflow code
    fails them. Production workers run without it (see build_worker)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            # Pure libraries our models use inside workflows: loaded once, not per run.
            "email_validator",
            "idna",
            "dateutil",
            "itsdangerous",
        )
    )


def mail_dispatcher(settings: Settings, db: Database) -> MailDispatcher:
    transport = (
        SmtpTransport(settings.smtp_url) if settings.smtp_url else FileTransport(settings.mail_dir)
    )
    return MailDispatcher(db, transport, settings.mail_from)


def build_worker(
    client: Client,
    settings: Settings,
    db: Database,
    *,
    on_outbox: Callable[[], None] = lambda: None,
    **options: Any,
) -> Worker:
    meeting = MeetingActivities(db, settings, on_outbox)
    gateway = MeetingGateway(client, settings.task_queue)
    series = SeriesActivities(db, gateway, AlreadyFinished, on_outbox)
    digests = DigestActivities(db, on_outbox)
    plans = PlanActivities(db, gateway, AlreadyFinished)
    svc = Services.connected(settings, db, client)
    reassignments = ReassignmentActivities(svc)
    calendars = CalendarActivities(svc)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(WORKFLOWS),
        activities=[
            meeting.sync_meeting,
            series.sync_series,
            series.materialise_occurrence,
            series.change_occurrence,
            digests.send_digests,
            plans.check_plan,
            plans.book_session,
            plans.unbook_session,
            plans.record_plan,
            reassignments.list_targets,
            reassignments.move_target,
            reassignments.move_targets,
            reassignments.record,
            reassignments.record_step,
            calendars.sync,
        ],
        # The sandbox re-imports (and recompiles) workflow modules for every new run: measured
        # (bench/workflow_sandbox.py) at 39-47 % of a sandboxed worker's CPU when creating
        # meetings (1.65-1.9x the CPU per create). Tests keep it; docs/workflow-changes.md says
        # what guards determinism without it.
        workflow_runner=options.pop("workflow_runner", UnsandboxedWorkflowRunner()),
        # Activities still running get this long on SIGTERM (`tandem up` kills at 9 s); one
        # cut short is retried, as after a crash.
        graceful_shutdown_timeout=timedelta(seconds=6),
        interceptors=[RequestIdWorkerInterceptor()],
        **options,
    )


async def ensure_digests(client: Client, settings: Settings) -> None:
    """One digest workflow per task queue, running for as long as Tandem does (SPEC N4)."""
    await client.start_workflow(
        DigestWorkflow.run,
        DigestInput(),
        id=digest_workflow_id(settings.task_queue),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="weekly 1:1 digests, Sunday 18:00 in each person's zone",
    )


async def connect_with_retry(
    settings: Settings, attempts: int = 60, runtime: Runtime | None = None
) -> Client:
    for attempt in range(attempts):
        try:
            return await connect(settings, runtime)
        except RuntimeError as error:
            if attempt == attempts - 1:
                raise
            log.info("waiting for Temporal at %s: %s", settings.temporal_address, error)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


def serve_metrics(settings: Settings, db: Database) -> TemporalMetrics | None:
    """SPEC O2: the worker's Prometheus endpoint, when it has a port: Tandem's metrics (the
    outbox read at each scrape) and the Temporal SDK's, which the returned collector's buffer
    receives. Started first: a worker still waiting for Temporal is seen waiting."""
    if not settings.worker_metrics_port:
        return None
    watch_outbox(db)
    temporal_metrics = forward_temporal_metrics()
    start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    log.info(
        "worker metrics on http://%s:%d/metrics",
        settings.worker_metrics_host,
        settings.worker_metrics_port,
    )
    return temporal_metrics


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    db = Database(settings.database, schema=settings.database_schema)
    dispatcher = mail_dispatcher(settings, db)
    temporal_metrics = serve_metrics(settings, db)
    # Mail already in the outbox needs only the database: a restarted worker delivers it while
    # it is still reaching Temporal (and if Temporal is down).
    delivering = asyncio.create_task(dispatcher.run(stop))
    draining = asyncio.create_task(temporal_metrics.drain_until(stop)) if temporal_metrics else None
    runtime = worker_runtime(temporal_metrics.buffer if temporal_metrics else None)
    try:
        client = await connect_with_retry(settings, runtime=runtime)
        worker = build_worker(client, settings, db, on_outbox=dispatcher.wake)
        async with worker:
            await ensure_digests(client, settings)
            log.info("worker polling task queue %r", settings.task_queue)
            await stop.wait()
    finally:
        stop.set()  # also when Temporal never answered: the dispatcher ends after its message
        await delivering
        if draining:
            await draining
        db.dispose()
