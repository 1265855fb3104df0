"""Liveness, readiness and metrics (SPEC O2): ready means the database and Temporal answer and a
worker polls the task queue; ``/metrics`` is Prometheus' (tandem.observability.metrics)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from tandem.api.responses import HealthOut, ReadyOut
from tandem.api.services import services
from tandem.domain.times import zone_data_version
from tandem.usecases.context import Services

router = APIRouter(tags=["health"])


# A worker long-polls for up to a minute at a time; one not seen for longer has gone.
POLLER_SEEN_WITHIN = timedelta(seconds=90)


async def _worker_polling(svc: Services) -> str:
    """Whether a worker polls the task queue: without one, changes are received but never
    applied (issue 8), so the API is not ready."""
    queue = svc.settings.task_queue
    try:
        answer = await svc.meetings.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=svc.settings.temporal_namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except Exception as error:
        return f"error: {error}"
    now = datetime.now(UTC)
    if any(now - p.last_access_time.ToDatetime(UTC) < POLLER_SEEN_WITHIN for p in answer.pollers):
        return "ok"
    return f"error: no worker is polling the task queue {queue!r}"


@router.get("/health", response_model=HealthOut)
async def health() -> dict:
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadyOut,  # documents the JSONResponse
    responses={
        503: {
            "model": ReadyOut,
            "description": "The database or Temporal is down, or no worker polls the task queue.",
        }
    },
)
async def ready(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await svc.db.read(lambda session: session.execute(text("SELECT 1")))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error}"
    try:
        await svc.meetings.client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as error:
        checks["temporal"] = f"error: {error}"
    else:
        checks["worker"] = await _worker_polling(svc)
    ok = all(v == "ok" for v in checks.values())
    # The zone data decides every occurrence's instant (S1), so say which release this is.
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "tzdata": zone_data_version(),
    }
    return JSONResponse(body, 200 if ok else 503)


# Public like /health, for scrapers that hold no token: every label is a route template, a
# method, a status or a kind, nothing personal. Not in the OpenAPI schema: it is for Prometheus.
@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
