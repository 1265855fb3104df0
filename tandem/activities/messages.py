"""Arguments and results of activities, importable from workflow code (no I/O imports here)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tandem.domain.meetings import (
    BookingMode,
    Cancel,
    Clash,
    Delete,
    Edit,
    Meeting,
    MeetingEvent,
    Reassign,
    Reschedule,
)
from tandem.domain.notifications import Contact, Notify
from tandem.domain.plans import PlanCommit, PlannedSession
from tandem.domain.reassignments import BulkReassign, Target
from tandem.domain.series import Occurrence, Series
from tandem.domain.times import UtcDatetime

SYNC_MEETING = "sync_meeting"
SYNC_SERIES = "sync_series"
MATERIALISE_OCCURRENCE = "materialise_occurrence"
CHANGE_OCCURRENCE = "change_occurrence"
SEND_DIGESTS = "send_digests"
CHECK_PLAN = "check_plan"
BOOK_SESSION = "book_session"
UNBOOK_SESSION = "unbook_session"
RECORD_PLAN = "record_plan"
LIST_REASSIGNMENT = "list_reassignment"
MOVE_TARGET = "move_target"
MOVE_TARGETS = "move_targets"
RECORD_REASSIGNMENT = "record_reassignment"
RECORD_REASSIGNMENT_STEP = "record_reassignment_step"
SYNC_CALENDAR = "sync_calendar"

# The id prefix of an update sent for a request with an Idempotency-Key: the transaction that
# applies it also records its outcome, so a retry whose first answer was lost gets that answer.
KEYED_UPDATE = "key-"


class SyncMeeting(BaseModel):
    """Make the database agree with the workflow: bookings, projection, history, outbox."""

    meeting: Meeting
    booking: BookingMode
    event: MeetingEvent
    notify: list[Notify] = Field(default_factory=list)
    # C3: hand the open agenda topics and action items to the series' next meeting.
    rollover: bool = False
    # Set when the change is a keyed request's update (``KEYED_UPDATE``).
    update_id: str | None = None
    # The people the notices name, as the request that caused them read them (a create); the
    # activity reads from the database whoever is not here.
    people: list[Contact] = Field(default_factory=list)


class SyncResult(BaseModel):
    # Overlaps the booking accepted (a reassignment onto a busy facilitator, SPEC M10).
    accepted_overlaps: list[Clash] = Field(default_factory=list)


class AppliedChange(BaseModel):
    """What a keyed update's transaction wrote, recorded with it for a retry (issue 8)."""

    meeting: Meeting | None = None
    accepted_overlaps: list[Clash] = Field(default_factory=list)
    series: Series | None = None


class SyncSeries(BaseModel):
    """Make the series projection agree with the workflow (and guard S2 on creation)."""

    series: Series
    clashes: dict[int, str] = Field(default_factory=dict)
    notify: list[Notify] = Field(default_factory=list)
    update_id: str | None = None


class Materialise(BaseModel):
    """Make one occurrence a meeting (its id is derived from the index, so retries are safe)."""

    series: Series
    occurrence: Occurrence


class Materialised(BaseModel):
    booked: bool
    # Why the guard refused it (the clashing meeting), when it did.
    reason: str | None = None


class OccurrenceChange(BaseModel):
    """One lifecycle change to a materialised occurrence; exactly one field is set."""

    meeting_id: str
    edit: Edit | None = None
    reschedule: Reschedule | None = None
    cancel: Cancel | None = None
    delete: Delete | None = None
    reassign: Reassign | None = None

    @property
    def message(self) -> Edit | Reschedule | Cancel | Delete | Reassign:
        messages = (self.edit, self.reschedule, self.cancel, self.delete, self.reassign)
        found = [m for m in messages if m is not None]
        assert len(found) == 1, "an occurrence change carries exactly one message"
        return found[0]


class ChangeOutcome(BaseModel):
    applied: bool
    reason: str | None = None
    # The refusal's type (Conflict, NotAllowed, ...) when it was refused.
    error_type: str | None = None


class DigestWindow(BaseModel):
    """Send the weekly digests that fell due in (since, until]."""

    since: UtcDatetime
    until: UtcDatetime


class BookSession(BaseModel):
    commit: PlanCommit
    session: PlannedSession


class UnbookSession(BaseModel):
    meeting_id: str
    actor_id: str
    reason: str


class MoveTarget(BaseModel):
    job: BulkReassign
    target: Target


class MoveTargets(BaseModel):
    """A batch of a job's targets, moved one after another by one activity."""

    job: BulkReassign
    targets: list[Target]


class SyncCalendar(BaseModel):
    """One pass of a connected calendar's sync (K3)."""

    connection_id: str
