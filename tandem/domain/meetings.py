"""A meeting (SPEC M1) as the workflow holds it, and the messages that change it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tandem.domain.notifications import Contact
from tandem.domain.times import TimeZoneName, UtcDatetime

MAX_DURATION_MINUTES = 8 * 60
COACHING_MAX_DURATION_MINUTES = 60


class MeetingKind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    COACHING = "coaching"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MISSED = "missed"
    INVALID_SCHEDULE = "invalid_schedule"
    DELETED = "deleted"


# Still ahead of us: may be edited, started, rescheduled, cancelled, reassigned.
PLANNED = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.INVALID_SCHEDULE})
# Nothing more can happen to the meeting itself (only archive, delete with permission).
FINISHED = frozenset({MeetingStatus.COMPLETED, MeetingStatus.MISSED, MeetingStatus.CANCELLED})

# Lengths only: these types also load meetings from workflow histories, which must keep
# loading whatever an earlier version accepted. What new input may contain (one line, no bidi
# controls, ...) is checked where it arrives: tandem.usecases.schemas (NameIn, ...).
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class FocusRef(BaseModel):
    """Performance data a meeting focuses on: an evaluation or interaction, by full URL or id."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["evaluation", "interaction"]
    ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class Meeting(BaseModel):
    id: str
    kind: MeetingKind
    name: Name
    description: LongText = ""
    facilitator_id: str
    participant_ids: list[str]
    guest_emails: list[EmailStr] = Field(default_factory=list)
    starts_at: UtcDatetime
    duration_minutes: int
    timezone: TimeZoneName
    location: Text = ""
    participant_preview: bool = False
    focus: list[FocusRef] = Field(default_factory=list)
    status: MeetingStatus = MeetingStatus.SCHEDULED
    series_id: str | None = None
    occurrence_index: int | None = None
    created_by: str
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    # Bumped on every change so the projection never goes back in time and calendars see SEQUENCE.
    version: int = 0

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def attendee_ids(self) -> list[str]:
        """Everyone whose calendar the meeting occupies: the facilitator and the participants."""
        return [self.facilitator_id, *self.participant_ids]


class MeetingChanges(BaseModel):
    """Details the facilitator may edit while the meeting is scheduled (SPEC M3)."""

    name: Name | None = None
    description: LongText | None = None
    location: Text | None = None
    participant_preview: bool | None = None
    focus: list[FocusRef] | None = None
    starts_at: UtcDatetime | None = None
    duration_minutes: int | None = None
    timezone: TimeZoneName | None = None

    @property
    def moves_time(self) -> bool:
        return self.starts_at is not None or self.duration_minutes is not None


class MeetingInput(BaseModel):
    """Start argument of the meeting workflow.

    ``resumed`` is set when a finished meeting's workflow is reopened from its projection
    (deleting a past meeting): it is already booked, so no create update follows.
    """

    meeting: Meeting
    resumed: bool = False


class Create(BaseModel):
    actor_id: str
    # Occurrences of a series are announced once for the whole series (SPEC N2), not each time.
    notify_participants: bool = True
    # The facilitator, participants and actor as the API read them, handed to the booking
    # activity for the notice (it then reads no users itself). Empty: the activity reads them.
    people: list[Contact] = Field(default_factory=list)


class Edit(BaseModel):
    actor_id: str
    changes: MeetingChanges
    reason: Reason | None = None


class Start(BaseModel):
    actor_id: str


class Complete(BaseModel):
    actor_id: str


class Reschedule(BaseModel):
    actor_id: str
    starts_at: UtcDatetime
    duration_minutes: int | None = None  # None keeps the meeting's duration
    reason: Reason
    # W7+: Tandem moved it by itself (a division's auto-rebook): the facilitator, who is the
    # actor, is told too, and the history says so.
    automatic: bool = False

    def duration_for(self, meeting: Meeting) -> int:
        return meeting.duration_minutes if self.duration_minutes is None else self.duration_minutes


class Cancel(BaseModel):
    actor_id: str
    reason: Reason


class Delete(BaseModel):
    actor_id: str
    reason: Reason | None = None
    # Whether the caller holds one-to-ones.delete; the workflow decides whether it is needed now.
    may_delete_started: bool = False


class InviteGuest(BaseModel):
    actor_id: str
    email: EmailStr
    replaces: EmailStr | None = None


class Reassign(BaseModel):
    actor_id: str
    facilitator_id: str
    reason: Reason | None = None


class BookingMode(StrEnum):
    """How a change treats people's booked time (the guard, SPEC W5 and M10)."""

    STRICT = "strict"  # create, reschedule: refuse any overlap for anyone attending
    REASSIGN = "reassign"  # new facilitator, with a reason: refuse coaching on coaching only
    REASSIGN_FREE = "reassign-free"  # new facilitator, no reason: refuse any overlap (M10)
    RELEASE = "release"  # cancelled or deleted: the time is free again
    KEEP = "keep"  # nothing about time or people changed


class ScheduleCheck(BaseModel):
    """W7: whether a coaching appointment still fits the attendees' WFM schedules."""

    actor_id: str | None = None
    problems: list[str] = Field(default_factory=list)
    # W7+ (issue 12): what the facilitator's notice offers. ``search_days`` is None for a check
    # sent before replacements existed; then the notice is the old one.
    replacements: list[UtcDatetime] = Field(default_factory=list)
    search_days: int | None = None
    auto_rebook: bool = False

    @property
    def valid(self) -> bool:
        return not self.problems


class Clash(BaseModel):
    """Another booking that overlaps: who, which meeting, when."""

    user_id: str
    meeting_id: str
    kind: MeetingKind
    starts_at: UtcDatetime
    ends_at: UtcDatetime


class ReassignOutcome(BaseModel):
    meeting: Meeting
    not_available: list[Clash] = Field(default_factory=list)


class MeetingEvent(BaseModel):
    """One line of the meeting's history (SPEC M12, O1): who did what, when, and why."""

    id: str
    meeting_id: str
    at: UtcDatetime
    action: str
    actor_id: str | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
