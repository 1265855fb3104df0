"""What the HTTP API answers, as pydantic models, so that ``/openapi.json`` and ``/docs`` show the
real response shapes (and the error answers each route can give).

The presenters (``meeting_out``, ``series_out``, ``_item_out``, ...) still build plain dicts; a
route declares ``response_model=...`` and FastAPI validates the dict against the model. Views that
leave fields out (a participant's preview, ops' lifecycle view, a link attachment) model them as
optional and the routes use ``response_model_exclude_unset=True``, so an absent field stays absent
and the JSON is exactly what the presenter built. A route that returns a ``JSONResponse`` itself
(idempotent replies, the slot query) is sent as it is: its ``response_model`` only documents it.

Every model allows extra fields: a field a presenter adds before the model catches up is passed
through rather than dropped (tests/api/test_openapi_contract.py refuses undocumented ones).
Instants are ISO-8601 strings with an offset, exactly as the presenters format them.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from tandem.domain.access import View
from tandem.domain.attachments import AttachmentKind
from tandem.domain.content import ItemKind, NoteVisibility
from tandem.domain.meetings import MeetingKind, MeetingStatus
from tandem.domain.plans import PlanState
from tandem.domain.reassignments import JobState, ReassignScope, TargetKind
from tandem.domain.series import SeriesStatus

CURSOR_PATTERN = r"^[A-Za-z0-9_\-]*={0,2}$"
"""A meeting list's ``next_cursor``: URL-safe base64."""

Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Number = Annotated[float | int, WithJsonSchema({"type": "number"})]
"""A JSON number as the solver produced it (``1`` stays ``1``, not ``1.0``)."""


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str) -> Any:
    """A field some answers leave out (never null): not required, no default shown."""
    return Field(None, description=description, json_schema_extra=_no_default)


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- errors ----------------------------------------------------------------------------------


class ErrorBody(Out):
    type: str = Field(
        description="Unauthenticated, NotAllowed, NotFound, Conflict, Invalid, TooLarge, "
        "MethodNotAllowed, Unavailable, ...",
        examples=["Invalid"],
    )
    message: str = Field(examples=["starts_at: must be in the future"])
    details: dict[str, Any] = Field(
        description="Machine-readable specifics: for Invalid, ``field`` (a dotted path such as "
        "``agents.2.shifts.0``) and ``errors`` (every problem found); for Conflict, the clashes."
    )


class ErrorOut(Out):
    """Every error answer: ``{"error": {"type", "message", "details"}}``."""

    error: ErrorBody


_ERROR_TEXT = {
    400: "The request could not be read (e.g. a malformed upload).",
    401: "No bearer token, or an unknown or revoked one.",
    403: "Not allowed: the caller lacks the permission (type NotAllowed).",
    404: "No such resource, or not one the caller may see (type NotFound).",
    405: "The method is not allowed on this path.",
    409: "Conflict with the current state (a clash, an ended series, ...).",
    413: "The body is too large (type TooLarge).",
    422: "The request is invalid (type Invalid): ``details.field`` names the first problem, "
    "``details.errors`` lists them all.",
    503: "A change was not confirmed in time; retry with the same Idempotency-Key.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries for these error statuses, all with the one error shape."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorOut, "description": _ERROR_TEXT[code]}
        if code == 401:
            entry["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
            }
        out[code] = entry
    return out


AUTHED = errors(401, 403, 404, 422)
"""What any authenticated route can answer besides success."""
CHANGES = errors(401, 403, 404, 409, 422, 503)
"""A change sent to a meeting's or series' workflow: also clashes and unconfirmed changes."""

REPLAYED = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when this is the first answer to the same Idempotency-Key, "
        "replayed.",
    }
}


def replayable(status: int = 200, description: str = "Successful Response") -> dict:
    """An idempotent route's success answer, which may be a replay (SPEC M13)."""
    return {status: {"description": description, "headers": REPLAYED}}


# -- health ----------------------------------------------------------------------------------


class HealthOut(Out):
    status: Literal["ok"]


class ReadyChecks(Out):
    database: str = Field(description='"ok" or "error: ..."')
    temporal: str = Field(description='"ok" or "error: ..."')
    worker: str | None = Field(
        default=None,
        description='"ok" or "error: no worker is polling …"; absent when Temporal is down',
    )


class ReadyOut(Out):
    status: Literal["ok", "unavailable"]
    checks: ReadyChecks
    tzdata: dict[str, str] = Field(
        description="The time-zone data in use: the IANA release and the tzdata package."
    )


# -- people ----------------------------------------------------------------------------------


class WorkingHoursOut(Out):
    weekday: int = Field(description="0 = Monday")
    start: time
    end: time


class SettingsOut(Out):
    meeting_reminders: bool
    working_hours: list[WorkingHoursOut]


class UserOut(Out):
    id: str
    name: str
    email: str
    timezone: str
    roles: list[str]
    divisions: list[str]
    business_unit: str | None
    permissions: list[str]
    settings: SettingsOut
    calendar_feed_url: str | None = Field(
        default=None,
        description="Your meetings as a calendar to subscribe to; works without a bearer header.",
    )


class CalendarFeedOut(Out):
    calendar_feed_url: str


class CreatedUserOut(UserOut):
    token: str = Field(description="The new user's API token; shown once, never again.")


class SettingsUpdated(Out):
    settings: SettingsOut
    timezone: str


class DirectoryEntry(Out):
    id: str
    name: str
    timezone: str
    roles: list[str]
    divisions: list[str]


class DirectoryList(Out):
    items: list[DirectoryEntry]
    next_cursor: str | None


class RoleOut(Out):
    name: str
    permissions: list[str]


class RoleList(Out):
    items: list[RoleOut]


# -- meetings --------------------------------------------------------------------------------


class FocusOut(Out):
    kind: Literal["evaluation", "interaction"]
    ref: str


class MeetingOut(Out):
    """A meeting as the caller may see it: ``view`` says which fields a preview (M5) or the
    lifecycle view of ops (A4) leaves out."""

    id: str
    kind: MeetingKind
    name: str
    status: MeetingStatus
    starts_at: Instant
    ends_at: Instant
    starts_at_local: Instant = Field(description="starts_at in the meeting's zone")
    duration_minutes: int
    timezone: str
    facilitator_id: str
    participant_ids: list[str]
    guest_emails: list[str] | SkipJsonSchema[None] = absent("full view only")
    series_id: str | None
    occurrence_index: int | None
    archived: bool
    location: str | SkipJsonSchema[None] = absent("full and preview views")
    description: str | SkipJsonSchema[None] = absent("full view only")
    participant_preview: bool
    focus: list[FocusOut] | SkipJsonSchema[None] = absent("full view only")
    created_by: str
    created_at: Instant
    started_at: Instant | None
    completed_at: Instant | None
    version: int
    view: View


MEETING = {"response_model": MeetingOut, "response_model_exclude_unset": True}
"""Route options for an answer that is one meeting (views leave fields out: absent stays absent)."""


class MeetingList(Out):
    items: list[MeetingOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end"
    )


class EventOut(Out):
    at: Instant = Field(description="in the viewer's zone")
    action: str
    actor_id: str | None
    actor_name: str | None
    reason: str | None
    details: dict[str, Any]
    error: str | None = Field(description="what went wrong (activity failures, refusals)")
    source: Literal["audit", "workflow"] = Field(
        description="audit: recorded with the change; workflow: read off Temporal's history"
    )


class PersonRef(Out):
    id: str
    name: str | None = Field(description="null for someone no longer known")


class FoundWorkflowOut(Out):
    workflow_id: str
    meeting_id: str
    name: str | None
    status: str
    starts_at: Instant = Field(description="in the caller's zone")
    facilitator: PersonRef
    participants: list[PersonRef]
    series_id: str | None


class FoundWorkflowList(Out):
    items: list[FoundWorkflowOut]
    next_cursor: str | None
    query: str = Field(description="the visibility query: paste it into the Temporal UI")


class CalendarOut(Out):
    """A connected calendar (K1); its password is never shown."""

    id: str
    kind: Literal["caldav", "ics"]
    name: str
    url: str
    username: str | None
    status: Literal["ok", "error"]
    error: str | None = Field(description="why the last read failed")
    read_only: bool = Field(description="an ICS feed: Tandem reads it, never writes to it")
    last_synced_at: Instant | None
    created_at: Instant


class CalendarList(Out):
    items: list[CalendarOut]
    next_cursor: str | None


class CalendarCandidateOut(Out):
    id: str
    uid: str
    summary: str
    starts_at: Instant = Field(description="the first start in the next four weeks")
    duration_minutes: int
    timezone: str
    recurrence: Literal["weekly", "biweekly", "triweekly", "monthly"] | None
    other_user_id: str


class SkippedEventOut(Out):
    uid: str
    summary: str
    reason: str


class CalendarCandidateList(Out):
    items: list[CalendarCandidateOut]
    skipped: list[SkippedEventOut] = Field(description="events that cannot be 1:1s, and why")


class ImportedOut(Out):
    candidate_id: str
    series_id: str | None
    meeting_id: str | None


class ImportedList(Out):
    items: list[ImportedOut]


class CalendarLinkOut(Out):
    """An event of the calendar and what it became in Tandem (K3)."""

    uid: str
    series_id: str | None
    meeting_id: str | None
    status: Literal["linked", "disconnected"] = Field(
        description="disconnected: sync no longer follows this event (``reason`` says why)"
    )
    reason: str | None


class CalendarLinkList(Out):
    items: list[CalendarLinkOut]


class RelinkedOut(Out):
    calendar_id: str
    uid: str
    series_id: str


class HistoryOut(Out):
    meeting_id: str
    timezone: str = Field(description="the viewer's zone, which every time here is in")
    workflow_id: str
    workflow_url: str = Field(description="the workflow in the Temporal UI")
    series_workflow_id: str | None
    complete: bool = Field(description="false when Temporal did not answer: the audit lines alone")
    items: list[EventOut]


class BlockOut(Out):
    """A block in someone's calendar, without the meeting behind it."""

    starts_at: Instant
    ends_at: Instant
    kind: MeetingKind


class CandidateOut(Out):
    user_id: str
    name: str
    timezone: str
    available: bool
    selectable: bool
    blocks: list[BlockOut]


class CandidateList(Out):
    items: list[CandidateOut]
    next_cursor: str | None


class ReassignedOut(Out):
    meeting: MeetingOut
    not_available: list[BlockOut]


class DeletedOut(Out):
    id: str
    deleted: Literal[True]


# -- content ---------------------------------------------------------------------------------


class ItemOut(Out):
    id: str
    kind: ItemKind
    text: str
    url: str | None
    author_id: str
    position: int
    completed: bool
    completed_at: Instant | None
    completed_by: str | None
    assignee_id: str | None
    due_date: Day | None
    rolled_over_from: str | None
    created_at: Instant


class ItemList(Out):
    items: list[ItemOut]
    next_cursor: str | None


class NoteOut(Out):
    id: str
    author_id: str
    visibility: NoteVisibility
    body: str
    created_at: Instant
    updated_at: Instant


class NoteList(Out):
    items: list[NoteOut]
    next_cursor: str | None


class AttachmentOut(Out):
    id: str
    kind: AttachmentKind
    title: str
    url: str | None
    ref: str | None
    added_by: str
    created_at: Instant
    content_type: str | SkipJsonSchema[None] = absent("documents only")
    size: int | SkipJsonSchema[None] = absent("documents only: bytes")
    download: str | SkipJsonSchema[None] = absent("documents only: the content's path")


class AttachmentList(Out):
    items: list[AttachmentOut]
    next_cursor: str | None


UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {
                            "type": "string",
                            "maxLength": 200,
                            "description": "One line; empty or absent: the file's name.",
                        },
                    },
                    "required": ["file"],
                }
            }
        },
    }
}
"""``openapi_extra`` of the document upload, which reads its form itself (after access checks)."""

DOWNLOAD = {
    200: {
        "description": "The document, as uploaded, with its own content type.",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "schema": {"type": "string"},
                "description": "attachment, with the title as file name",
            }
        },
    }
}


# -- series ----------------------------------------------------------------------------------


class SegmentOut(Out):
    first_index: int
    starts_at: Instant
    duration_minutes: int
    timezone: str
    recurrence: str
    wall_start: str | None


class SeriesClashOut(Out):
    index: int
    reason: str


class OccurrenceOut(Out):
    index: int
    meeting_id: str
    starts_at: Instant
    starts_at_local: Instant
    ends_at: Instant
    timezone: str
    status: str = Field(
        description='"planned" (not booked yet), "deleted", "clash", or the meeting\'s status'
    )
    materialised: bool
    planned_starts_at: Instant
    clash: str | None


class OccurrenceList(Out):
    items: list[OccurrenceOut]
    next_cursor: str | None


class SeriesOut(Out):
    id: str
    name: str
    facilitator_id: str
    participant_id: str
    status: SeriesStatus
    archived: bool
    starts_at: Instant | None
    timezone: str
    duration_minutes: int
    recurrence: str
    rrule: str
    segments: list[SegmentOut]
    skipped: list[int]
    clashes: list[SeriesClashOut]
    created_at: Instant | None
    ended_at: Instant | None
    version: int
    view: View
    description: str | SkipJsonSchema[None] = absent("full view only")
    location: str | SkipJsonSchema[None] = absent("full view only")
    occurrences: list[OccurrenceOut] | SkipJsonSchema[None] = absent(
        "after a create or an edit: the next occurrences"
    )


class OccurrenceNotMovedOut(Out):
    meeting_id: str
    starts_at: Instant
    reason: str


class SeriesReassignedOut(SeriesOut):
    not_moved: list[OccurrenceNotMovedOut]


class SeriesList(Out):
    items: list[SeriesOut]
    next_cursor: str | None


# -- coaching --------------------------------------------------------------------------------


class Window(Out):
    starts_at: Instant
    ends_at: Instant


class StaffingImpact(Out):
    interval_starts_at: Instant
    business_unit: str
    scheduled: Number
    forecast: Number
    taken_off_queue: Number
    difference: Number


class ServiceLevelImpact(Out):
    """The slot's worst interval by predicted service level (Erlang C), before and after the
    attendees leave the queue; ASA is null where the agents cannot keep up."""

    interval_start: Instant
    business_unit: str
    before_percent: Number
    after_percent: Number
    target_percent: Number
    floor_percent: Number | None
    contacts: Number
    before_asa_seconds: Number | None
    after_asa_seconds: Number | None


class SlotOut(Out):
    starts_at: Instant
    ends_at: Instant
    score: Number
    rating: Literal["good", "neutral", "poor"]
    reasons: list[str]
    staffing: StaffingImpact | None
    service_level: ServiceLevelImpact | None = Field(
        description="null without volume data and a service-level goal for the attendees' unit"
    )
    sl_drop_points: Number | None = Field(
        description="volume-weighted SL drop over the slot, percentage points (null without volume)"
    )


class FreeBusyOut(Out):
    starts_at: Instant
    ends_at: Instant
    status: str
    reason: str | None


class SlotsOut(Out):
    window: Window
    feasible: int
    slots: list[SlotOut]
    below_floor_left_out: int | SkipJsonSchema[None] = absent(
        "with respect_floor: how many feasible slots were left out for pushing SL below the floor"
    )
    schedules: dict[str, list[FreeBusyOut]] | SkipJsonSchema[None] = absent(
        "with include_schedules: everyone's free/busy by person id"
    )


class ReplacementSlotsOut(SlotsOut):
    """W7+: the best replacement slots of an invalid_schedule appointment, in the slot query's
    shape, ranked as it ranks; no free/busy."""

    meeting_id: str
    replacement_days: int = Field(description="how many days ahead, from now, were searched")
    auto_rebook: bool = Field(description="whether its divisions have Tandem rebook it by itself")


class DivisionSettingsOut(Out):
    division: str
    auto_rebook: bool
    replacement_days: int


class AssignmentOut(Out):
    agent_id: str
    facilitator_id: str
    starts_at: Instant
    ends_at: Instant
    cost: Number


class UnplacedOut(Out):
    agent_id: str
    reason: str
    message: str
    cadence_status: Literal["due", "overdue"] | SkipJsonSchema[None] = absent(
        'in a plan for agents: "due" (W8): the agent\'s cadence status'
    )


class SessionOutcomeOut(Out):
    agent_id: str
    meeting_id: str
    booked: bool
    reason: str | None


class CommitProgressOut(Out):
    plan_id: str
    state: PlanState
    total: int
    booked: list[str]
    clashes: list[SessionOutcomeOut]


class PlanIntervalOut(Out):
    business_unit: str
    interval_start: Instant
    contacts: Number
    agents_off_queue: Number
    before_percent: Number
    after_percent: Number
    below_floor: bool


# -- coaching cadence (W8, tandem.domain.cadence) --------------------------------------------


class CadencePolicyOut(Out):
    division: str
    every_weeks: int
    duration_minutes: int
    due_soon_days: int
    updated_by: str | None
    updated_at: Instant


class CadenceItemOut(Out):
    agent_id: str
    agent_name: str
    last_session_at: Instant | None = Field(
        description="start of the latest held (started) coaching session; null: never coached"
    )
    next_session_at: Instant | None = Field(description="the next booked coaching session")
    due_by: Instant | None = Field(
        description="last_session_at + every_weeks; null: never coached, due now"
    )
    status: Literal["ok", "due", "overdue"]


class CadenceList(Out):
    division: str
    policy: CadencePolicyOut
    items: list[CadenceItemOut]
    next_cursor: str | None = Field(description="always null: the whole division in one page")


class PlanCadenceOut(Out):
    division: str
    every_weeks: int
    duration_minutes: int
    agents: list[CadenceItemOut]


class PlanOut(Out):
    id: str
    state: PlanState
    status: Literal["optimal", "feasible", "fallback"]
    engine: str
    objective: Number
    impact: Number
    lower_bound: Number
    gap: Number
    greedy_objective: Number
    timings: dict[str, Number]
    assignments: list[AssignmentOut]
    unplaced: list[UnplacedOut]
    service_levels: list[PlanIntervalOut] = Field(
        default_factory=list,
        description="with volume data: predicted SL after the plan where it takes agents off queue",
    )
    commit: CommitProgressOut | SkipJsonSchema[None] = absent("once a commit has started")
    cadence: PlanCadenceOut | SkipJsonSchema[None] = absent(
        'in a plan for agents: "due" (W8): the policy and the agents it chose, overdue first'
    )


class CommitAccepted(Out):
    id: str
    state: PlanState
    total: int


# -- WFM -------------------------------------------------------------------------------------


class ScheduleImported(Out):
    kind: Literal["schedule"]
    business_unit: str
    timezone: str
    weeks: list[Day]
    starts_at: Instant
    ends_at: Instant
    agents: int
    shifts: int
    activities: int
    changed_agent_ids: list[str]
    joined_agent_ids: list[str]
    coaching_appointments_changed: int
    coaching_appointments_rebooked: int = Field(
        description="of those, moved by Tandem itself (the division's auto_rebook, W7+)"
    )


class StaffingImported(Out):
    kind: Literal["staffing"]
    business_unit: str
    starts_at: Instant
    ends_at: Instant
    intervals: int


class WeekOut(Out):
    week_start: Day
    starts_at: Instant
    ends_at: Instant
    imported_at: Instant
    imported_by: str | None


class ActivityOut(Out):
    starts_at: Instant
    ends_at: Instant
    category: str
    paid: bool
    interruptible: bool


class ShiftOut(Out):
    starts_at: Instant
    ends_at: Instant
    activities: list[ActivityOut]


class AgentScheduleOut(Out):
    agent_id: str
    shifts: list[ShiftOut]


class ScheduleView(Out):
    business_unit: str
    timezone: str
    from_: Instant | None = Field(alias="from")
    to: Instant | None
    weeks: list[WeekOut]
    agents: list[AgentScheduleOut]


class CoachingActivityOut(Out):
    """One booked coaching session as an activity on one person's WFM schedule."""

    agent_id: str
    role: Literal["attendee", "facilitator"]
    meeting_id: str
    status: MeetingStatus
    starts_at: Instant
    ends_at: Instant
    shift_start: Instant = Field(
        description="the stored shift it lies in (the session itself if none)"
    )
    shift_end: Instant
    category: Literal["meeting"]
    paid: bool
    interruptible: bool
    code: str = Field(
        description="tandem-coaching:<meeting id>: an import skips it (W7 round trip)"
    )


class CoachingActivitiesOut(Out):
    business_unit: str
    timezone: str
    from_: Instant = Field(alias="from")
    to: Instant
    items: list[CoachingActivityOut]


class IntervalOut(Out):
    starts_at: Instant
    forecast: Number
    scheduled: Number
    contacts: Number | None
    aht_seconds: Number | None


class ServiceGoalOut(Out):
    target_percent: Number
    threshold_seconds: Number
    floor_percent: Number | None
    patience_seconds: Number | None


class StaffingView(Out):
    business_unit: str
    timezone: str
    from_: Instant | None = Field(alias="from")
    to: Instant | None
    service_level: ServiceGoalOut | None
    intervals: list[IntervalOut]


# -- notifications and guests ----------------------------------------------------------------


class EmailState(Out):
    status: str
    sent_at: Instant | None


class NotificationOut(Out):
    id: str
    kind: str
    subject: str
    body: str
    meeting_id: str | None
    created_at: Instant
    read_at: Instant | None
    email: EmailState


class NotificationList(Out):
    items: list[NotificationOut]
    next_cursor: str | None


class ReadOut(Out):
    id: str
    read: Literal[True]


class GuestOut(Out):
    """What a guest link shows (M9): time, place and join link, nothing private."""

    name: str
    status: MeetingStatus
    starts_at: Instant
    ends_at: Instant
    timezone: str
    when: str
    duration_minutes: int
    location: str
    host: str | None
    guest: str


class CodecPayloadOut(Out):
    metadata: dict[str, str]
    data: str


class CodecOut(Out):
    """Payloads opened (or sealed) for the Temporal UI and CLI, in the codec-server shape."""

    payloads: list[CodecPayloadOut]


# -- bulk reassignment (M10) -------------------------------------------------------------------


class ReassignedTargetOut(Out):
    kind: TargetKind
    id: str
    name: str
    starts_at: Instant | None
    # Why it was not moved; for a moved series, which occurrences kept their facilitator.
    reason: str | None


class ReassignmentOut(Out):
    id: str
    state: JobState
    from_user_id: str
    to_user_id: str
    reason: str
    scope: ReassignScope
    total: int | None = Field(description="known once the job has listed what it moves")
    done: int
    moved: list[ReassignedTargetOut]
    not_moved: list[ReassignedTargetOut]
    created_at: Instant
    updated_at: Instant
