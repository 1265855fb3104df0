"""What a workflow's Temporal history adds to a meeting's audit lines (SPEC O1).

The database records every change that was applied. Only Temporal saw what went wrong on the
way: an activity that failed or needed retries (and why), a change the workflow refused after
accepting it (a clash or the meeting's state; not bad input, which is only the caller's 422),
a workflow task that failed. Those become timeline facts here, with the actor and reason taken
from the update's own (sealed) arguments. Messages come through the failure converter, which
opens the encoded failure attributes; nothing else of a payload is shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from tandem.domain.errors import ERRORS_BY_TYPE, Conflict, DomainError
from tandem.usecases.temporal import business_refusal

LOCAL_ACTIVITY_MARKER = "core_local_activity"
# How far back through continue-as-new runs a timeline looks (each run is one fetch).
MAX_RUNS = 20


@dataclass(frozen=True)
class WorkflowFact:
    at: datetime
    action: str
    actor_id: str | None = None
    reason: str | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # A change refused by a business rule: shown as the viewer may read it (a clash names the
    # clashing meeting only to those who may see it), so not as ``error``.
    refusal: DomainError | None = None


@dataclass(frozen=True)
class Update:
    """An accepted update: its name, and the arguments ``touches`` and the timeline read."""

    at: datetime
    name: str
    args: dict[str, Any]


# Which of a history's activities (by type and first argument), updates (by name and argument)
# and workflow task failures (name "") concern the meeting being looked at, given when they
# began: all of them in the meeting's own workflow; in its series', only those about this
# occurrence.
Touches = Callable[[str, dict[str, Any], datetime], bool]


def everything(_name: str, _args: dict[str, Any], _at: datetime) -> bool:
    return True


async def fetch(client: Client, workflow_id: str, since: datetime) -> list[WorkflowHistory]:
    """The workflow's runs that were live at or after ``since``, oldest first: a series carries
    on as a new run (continue-as-new) when its history grows long, and what touched a meeting
    may be in an earlier one. Nothing when Temporal has no such workflow."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while len(runs) < MAX_RUNS:
        try:
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                break  # never started, or an earlier run past retention
            raise
        runs.append(history)
        started = history.events[0]
        previous = started.workflow_execution_started_event_attributes.continued_execution_run_id
        if not previous or started.event_time.ToDatetime(tzinfo=UTC) <= since:
            break
        run_id = previous
    return runs[::-1]


async def facts(
    client: Client,
    history: WorkflowHistory,
    *,
    updates: Callable[[Update], WorkflowFact | None] = lambda _update: None,
    touches: Touches = everything,
) -> list[WorkflowFact]:
    """Failures, retries and refusals in ``history``, plus what ``updates`` makes of each
    update that completed (a series' edits, for its occurrences)."""
    reader = _Reader(client)
    # Arguments are opened only when needed (each is a decryption and a parse): to filter, or
    # for the actor of a refused change. A meeting's own history needs no filtering.
    filtering = touches is not everything
    found: list[WorkflowFact] = []
    scheduled: dict[int, tuple[str, Any, datetime]] = {}
    accepted: dict[int, tuple[datetime, str, Any]] = {}
    for event in history.events:
        at = event.event_time.ToDatetime(tzinfo=UTC)
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = (a.activity_type.name, a.input.payloads, at)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            a = event.activity_task_started_event_attributes
            name, payloads, began = scheduled.get(a.scheduled_event_id, ("", None, at))
            if a.attempt > 1 and touches(name, await reader.arg(payloads, filtering), began):
                found.append(
                    WorkflowFact(
                        at,
                        "activity_retried",
                        error=await reader.message(a.last_failure),
                        details={"activity": name, "attempt": a.attempt},
                    )
                )
        elif kind in (
            EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        ):
            a = (
                event.activity_task_failed_event_attributes
                if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
                else event.activity_task_timed_out_event_attributes
            )
            name, payloads, began = scheduled.get(a.scheduled_event_id, ("", None, at))
            if _refusal(a.failure):
                continue  # the change it was part of shows as refused, with this reason
            if touches(name, await reader.arg(payloads, filtering), began):
                found.append(
                    WorkflowFact(
                        at,
                        "activity_failed",
                        error=await reader.message(a.failure),
                        details={"activity": name},
                    )
                )
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            a = event.marker_recorded_event_attributes
            marker = _marker(a.details.get("data"))
            name, attempt = marker.get("activity_type", ""), marker.get("attempt", 1)
            if a.marker_name != LOCAL_ACTIVITY_MARKER or not touches(name, {}, at):
                continue
            if a.HasField("failure"):
                if _refusal(a.failure):
                    continue  # the change it was part of shows as refused, with this reason
                error = await reader.message(a.failure)
                found.append(
                    WorkflowFact(
                        at,
                        "activity_failed",
                        error=error,
                        details={"activity": name, "attempt": attempt},
                    )
                )
            elif attempt > 1:
                # A local activity's earlier attempts leave no trace but their count.
                found.append(
                    WorkflowFact(
                        at, "activity_retried", details={"activity": name, "attempt": attempt}
                    )
                )
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            a = event.workflow_task_failed_event_attributes
            if touches("", {}, at):
                found.append(
                    WorkflowFact(at, "workflow_task_failed", error=await reader.message(a.failure))
                )
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            accepted[event.event_id] = (at, request.input.name, request.input.args.payloads)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            a = event.workflow_execution_update_completed_event_attributes
            if a.accepted_event_id not in accepted:
                continue
            began, name, payloads = accepted[a.accepted_event_id]
            refused = a.outcome.HasField("failure")
            update = Update(began, name, await reader.arg(payloads, filtering or refused))
            if not touches(update.name, update.args, update.at):
                continue
            if refused:
                cause = await reader.converter.decode_failure(a.outcome.failure)
                refusal = business_refusal(cause)
                if refusal is not None and not isinstance(refusal, Conflict):
                    continue  # bad input or a missing permission: the caller's 4xx, no event
                found.append(
                    WorkflowFact(
                        at,
                        "change_refused",
                        actor_id=update.args.get("actor_id"),
                        reason=update.args.get("reason"),
                        error=None if refusal else str(cause),
                        details={"change": update.name},
                        refusal=refusal,
                    )
                )
            elif (fact := updates(update)) is not None:
                found.append(fact)
    return found


class _Reader:
    """Opens the few payloads and failures the timeline needs, through the client's converter
    (which unseals them)."""

    def __init__(self, client: Client) -> None:
        self.converter = client.data_converter

    async def arg(self, payloads: Any, needed: bool = True) -> dict[str, Any]:
        """The first argument as plain JSON data (every Tandem workflow input is a model)."""
        if not payloads or not needed:
            return {}
        try:
            [value] = await self.converter.decode([payloads[0]], [dict])
        except Exception:  # an argument this version cannot read: shown without it
            return {}
        return value if isinstance(value, dict) else {}

    async def message(self, failure: Failure) -> str | None:
        if not failure.ByteSize():
            return None
        decoded = await self.converter.decode_failure(failure)
        return str(decoded) or type(decoded).__name__


def _refusal(failure: Failure) -> bool:
    """A business rule's refusal (a clash, a lifecycle rule), raised through an activity: what
    the API answered 409 or 422 with, not a failure of the activity."""
    while failure.HasField("cause") and not failure.HasField("application_failure_info"):
        failure = failure.cause
    return failure.application_failure_info.type in ERRORS_BY_TYPE


def _marker(payloads: Any) -> dict[str, Any]:
    """Core's local-activity marker data: plain JSON, written by the SDK and never sealed."""
    if not payloads or not payloads.payloads:
        return {}
    data: Payload = payloads.payloads[0]
    try:
        value = json.loads(data.data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
