"""Replay safety (issue 11 item 5): every history recorded under tests/histories/ replays on
today's workflow code, so a deploy cannot break the meetings, series, digests, plan commits and
bulk reassignments already running (SPEC O1, O3: durable workflows survive a new version of the
workers). A change that alters what a workflow commands must sit behind ``workflow.patched``;
docs/workflow-changes.md says how, and ``python -m tests.histories.record`` records new fixtures.

Each fixture is also checked to hold what its name claims, so none of them can silently be a
trivial history that proves nothing. No server is needed: replay runs in this process.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tandem.cli.worker import WORKFLOWS, sandboxed_runner
from tandem.observability.interceptors import RequestIdWorkerInterceptor
from tests.support import DATA_CONVERTER

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
FIXTURES = sorted(HISTORIES.glob("*.json"))

Events = list[dict]


def _of(events: Events, kind: str) -> Events:
    return [e for e in events if e["eventType"] == f"EVENT_TYPE_{kind}"]


def _updates(events: Events) -> list[str]:
    accepted = _of(events, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED")
    return [
        e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["name"]
        for e in accepted
    ]


def _activities(events: Events) -> list[str]:
    scheduled = _of(events, "ACTIVITY_TASK_SCHEDULED")
    return [e["activityTaskScheduledEventAttributes"]["activityType"]["name"] for e in scheduled]


def _local_activities(events: Events) -> int:
    markers = _of(events, "MARKER_RECORDED")
    return sum(
        e["markerRecordedEventAttributes"]["markerName"] == "core_local_activity" for e in markers
    )


def _fired_timers(events: Events) -> list[str]:
    """Summaries of the timers that fired (the meeting names each deadline it waits for)."""
    summaries = {}
    for e in _of(events, "TIMER_STARTED"):
        payload = e.get("userMetadata", {}).get("summary", {})
        summary = json.loads(base64.b64decode(payload.get("data", "")) or "null")
        summaries[e["timerStartedEventAttributes"]["timerId"]] = summary
    return [
        summaries[e["timerFiredEventAttributes"]["timerId"]] for e in _of(events, "TIMER_FIRED")
    ]


def _workflow_type(events: Events) -> str:
    return events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]


def _meeting_lifecycle(events: Events) -> None:
    """M7 reschedule, N3 reminder, M4 start, M2 complete, C3 rollover; the run completed."""
    assert _workflow_type(events) == "Meeting"
    assert _updates(events) == ["create", "reschedule", "start", "complete"]
    assert _fired_timers(events) == ["reminder", "rollover"]
    assert len(_of(events, "TIMER_CANCELED")) >= 1  # the reschedule re-armed the reminder
    assert _local_activities(events) == 6  # each update, the reminder and the rollover synced
    assert _of(events, "WORKFLOW_EXECUTION_COMPLETED")


def _meeting_changes(events: Events) -> None:
    """M3 edit, M9 guest, M10 reassign, M8 cancel: each update synced once; the run ended."""
    assert _workflow_type(events) == "Meeting"
    assert _updates(events) == ["create", "edit", "invite_guest", "reassign", "cancel"]
    assert _local_activities(events) == 5
    assert _of(events, "WORKFLOW_EXECUTION_COMPLETED")


def _meeting_healed(events: Events) -> None:
    """W7+: flagged invalid with replacement slots, rebooked by Tandem itself (the patch
    ``heal-invalid-schedule``), cancelled; each update synced once; the run ended."""
    assert _workflow_type(events) == "Meeting"
    assert _updates(events) == ["create", "schedule_check", "reschedule", "cancel"]
    assert "heal-invalid-schedule" in _patches(events)
    assert _local_activities(events) == 4
    assert _of(events, "WORKFLOW_EXECUTION_COMPLETED")


def _series_continued_as_new(events: Events) -> None:
    """S3: occurrences materialised, one deleted, an edit, and the hop to a new run."""
    assert _workflow_type(events) == "Series"
    assert _updates(events)[:3] == ["create", "delete_occurrence", "edit"]
    assert _activities(events).count("materialise_occurrence") >= 4
    assert "change_occurrence" in _activities(events)
    assert _of(events, "WORKFLOW_EXECUTION_CONTINUED_AS_NEW")


def _series_resumed(events: Events) -> None:
    """S3: a run started by continue-as-new from the carried state, then edited."""
    assert _workflow_type(events) == "Series"
    started = events[0]["workflowExecutionStartedEventAttributes"]
    assert started["initiator"] == "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
    carried = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    assert carried["resumed"] is True and carried["materialised"]
    assert _updates(events) == ["edit"]
    assert "change_occurrence" in _activities(events)


def _series_create_and_edit(events: Events) -> None:
    """S3: recorded before ``materialise-before-answer``: no patch marker in it."""
    assert _workflow_type(events) == "Series"
    assert _updates(events)[:2] == ["create", "edit"]
    markers = _of(events, "MARKER_RECORDED")
    assert all(e["markerRecordedEventAttributes"]["markerName"] != "core_patch" for e in markers)


def _upserted(events: Events) -> set[str]:
    """Search attributes the workflow set itself (the SDK's own TemporalChangeVersion aside)."""
    return {
        key
        for e in _of(events, "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES")
        for key in e["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"][
            "indexedFields"
        ]
    } - {"TemporalChangeVersion"}


def _series_reassigned(events: Events) -> None:
    """M10: a series handed to another facilitator, its occurrences ahead moved one by one;
    recorded before series kept their search attributes current (no upsert, no patch)."""
    assert _workflow_type(events) == "Series"
    assert _updates(events) == ["create", "reassign"]
    assert "change_occurrence" in _activities(events)
    assert not _upserted(events)
    assert _of(events, "WORKFLOW_EXECUTION_CONTINUED_AS_NEW")


def _series_ended(events: Events) -> None:
    """S4: the run after that hop, ended by the new facilitator (occurrences cancelled)."""
    assert _workflow_type(events) == "Series"
    assert _updates(events) == ["end"]
    assert "change_occurrence" in _activities(events)
    assert not _upserted(events)


def _calendar_sync(events: Events) -> None:
    """K3: a connected calendar's passes, one at its start and one asked for (a signal)."""
    assert _workflow_type(events) == "CalendarSync"
    activities = _activities(events)
    assert len(activities) >= 2 and set(activities) == {"sync_calendar"}
    assert _of(events, "WORKFLOW_EXECUTION_SIGNALED")


def _digest(events: Events) -> None:
    """N4: the Sunday timers fired and the digests due at each tick were sent."""
    assert _workflow_type(events) == "Digests"
    assert _fired_timers(events)[:1] == ["next Sunday 18:00 somewhere"]
    assert len(_fired_timers(events)) >= 3
    assert _activities(events) == ["send_digests"] * len(_activities(events))
    assert len(_of(events, "ACTIVITY_TASK_COMPLETED")) >= 3


def _plan_commit(events: Events) -> None:
    """W6: several sessions booked in one batch (scheduled together), progress recorded."""
    assert _workflow_type(events) == "PlanCommit"
    activities = _activities(events)
    assert activities[0] == activities[-1] == "record_plan"
    assert activities.count("book_session") >= 2
    batch = [
        e["activityTaskScheduledEventAttributes"]["workflowTaskCompletedEventId"]
        for e in _of(events, "ACTIVITY_TASK_SCHEDULED")
        if e["activityTaskScheduledEventAttributes"]["activityType"]["name"] == "book_session"
    ]
    assert len(set(batch)) == 1, "the sessions were not booked together"
    assert _of(events, "WORKFLOW_EXECUTION_COMPLETED")


def _bulk_reassignment(events: Events) -> None:
    """M10 bulk: the targets listed once, then moved. v1 (before ``bulk-reassign-in-batches``):
    one activity per target, the whole progress recorded after each; since: the targets in
    batches, each batch's outcomes recorded as one step."""
    assert _workflow_type(events) == "BulkReassignment"
    activities = _activities(events)
    assert activities[0] == "list_reassignment"
    patches = _patches(events)
    if "bulk-reassign-in-batches" in patches:
        batches = activities.count("move_targets")
        assert batches >= 1 and activities[1:] == ["move_targets"] * batches
        assert _local_activities(events) == 3  # listed, after the batch, done
    else:
        moves = activities.count("move_target")
        assert moves >= 2 and activities[1:] == ["move_target"] * moves
        assert _local_activities(events) == moves + 2
    assert _of(events, "WORKFLOW_EXECUTION_COMPLETED")


def _patches(events: Events) -> set[str]:
    """The ids of the patches this history recorded (the SDK upserts them as
    TemporalChangeVersion)."""
    found: set[str] = set()
    for e in _of(events, "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"):
        fields = e["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"]
        version = fields["indexedFields"].get("TemporalChangeVersion")
        if version:
            found |= set(json.loads(base64.b64decode(version["data"])))
    return found


# What each recorded history (its name without the version) must contain.
CLAIMS: dict[str, Callable[[Events], None]] = {
    "meeting_lifecycle": _meeting_lifecycle,
    "meeting_changes": _meeting_changes,
    "meeting_healed": _meeting_healed,
    "series_continued_as_new": _series_continued_as_new,
    "series_resumed": _series_resumed,
    "series_create_and_edit": _series_create_and_edit,
    "digest": _digest,
    "plan_commit": _plan_commit,
    "bulk_reassignment": _bulk_reassignment,
    "series_reassigned": _series_reassigned,
    "series_ended": _series_ended,
    "calendar_sync": _calendar_sync,
}


def _load(path: Path) -> tuple[str, Events]:
    raw = path.read_text()
    return raw, json.loads(raw)["events"]


def _claim(path: Path) -> Callable[[Events], None]:
    name = re.sub(r"_v\d+$", "", path.stem)
    assert name in CLAIMS, f"{path.name}: say in CLAIMS what this history must contain"
    return CLAIMS[name]


def test_o3_every_workflow_type_has_a_recorded_history() -> None:
    recorded = {_workflow_type(_load(p)[1]) for p in FIXTURES}
    assert recorded == {w.__temporal_workflow_definition.name for w in WORKFLOWS}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_o1_each_recorded_history_holds_what_its_name_claims(path: Path) -> None:
    _claim(path)(_load(path)[1])


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
async def test_o3_a_recorded_history_replays_on_the_current_workflow_code(path: Path) -> None:
    raw, events = _load(path)
    workflow_id = events[0]["workflowExecutionStartedEventAttributes"].get("workflowId", path.stem)
    # As the tests' workers run: every workflow type, the sandbox, the sealing converter,
    # and the request-id interceptor (O2), which histories recorded before it must not mind.
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        workflow_runner=sandboxed_runner(),
        data_converter=DATA_CONVERTER,
        interceptors=[RequestIdWorkerInterceptor()],
    )
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(workflow_id, raw), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"
