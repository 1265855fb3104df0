"""The meeting workflow's one side effect: make the database agree with its new state.

Booking, projection, history line, outbox rows and any content moves (rollover, purge) are
written in one transaction, so a change is either wholly visible or not at all. Running it
twice (a retried local activity after a worker crash) changes nothing: the meeting's own
bookings never clash with themselves, the projection keeps the newest version, history and
outbox rows have unique keys, and items already rolled over no longer match.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from temporalio import activity

from tandem.activities.errors import business_rules
from tandem.activities.messages import SYNC_MEETING, AppliedChange, SyncMeeting, SyncResult
from tandem.activities.notify import people_involved, render
from tandem.domain import lifecycle
from tandem.domain.meetings import Clash, Meeting, MeetingStatus
from tandem.domain.notifications import NotificationKind
from tandem.domain.users import User
from tandem.observability.metrics import REMINDER_LATENESS
from tandem.settings import Settings
from tandem.store import bookings, content, idempotency, meetings, outbox, users
from tandem.store.db import Database


class MeetingActivities:
    def __init__(
        self, db: Database, settings: Settings, on_outbox: Callable[[], None] = lambda: None
    ) -> None:
        self.db = db
        self.secret = settings.signing_key()
        self.base_url = settings.base_url
        self.on_outbox = on_outbox

    @activity.defn(name=SYNC_MEETING)
    async def sync_meeting(self, request: SyncMeeting) -> SyncResult:
        with business_rules():
            overlaps, queued = await self.db.write(lambda session: self._apply(session, request))
        if queued:
            self.on_outbox()
            _observe_reminder(request)
        # Ids and the action only: names, reasons and times are personal or belong to the
        # history (O1), not to logs.
        activity.logger.info(
            "meeting %s: %s",
            request.meeting.id,
            request.event.action,
            extra={
                "meeting_id": request.meeting.id,
                "action": request.event.action,
                "notifications": queued,
            },
        )
        return SyncResult(accepted_overlaps=overlaps)

    def _apply(self, session: Session, request: SyncMeeting) -> tuple[list[Clash], int]:
        now = datetime.now(UTC)
        meeting = request.meeting
        # Projection first: bookings refer to its row; a refused booking rolls both back.
        meetings.write_projection(session, meeting, now)
        overlaps = bookings.book(session, meeting, request.booking)
        details = dict(request.event.details)
        if overlaps:
            details["not_available"] = [c.model_dump(mode="json") for c in overlaps]
        if request.rollover:
            target, moved = content.rollover(session, meeting, now)
            details["rollover"] = {"to_meeting_id": target, "items": moved}
        if meeting.status is MeetingStatus.DELETED:
            content.purge(session, meeting.id)
        meetings.record_event(session, request.event.model_copy(update={"details": details}))
        if request.update_id is not None:
            outcome = AppliedChange(meeting=meeting, accepted_overlaps=overlaps)
            idempotency.record_applied(session, request.update_id, outcome.model_dump(mode="json"))
        people = _people(session, meeting, request)
        messages = render(
            meeting, request.notify, people, secret=self.secret, base_url=self.base_url, now=now
        )
        return overlaps, outbox.enqueue(session, messages, now)


def _people(session: Session, meeting: Meeting, request: SyncMeeting) -> dict[str, User]:
    """Everyone the notices name: as the request carried them, the rest from the database."""
    if not request.notify:
        return {}  # nothing to render
    wanted = people_involved([*meeting.attendee_ids, meeting.created_by], request.notify)
    carried = {c.id: c.as_user() for c in request.people if c.id in wanted}
    missing = wanted - carried.keys()
    return {**(users.get_users(session, missing) if missing else {}), **carried}


def _observe_reminder(request: SyncMeeting) -> None:
    """Reminder lateness (SPEC O2), once: only the run that wrote the outbox rows counts. Under
    a time-skipping test server the due time is ahead of the real clock: that is 0 s late."""
    if any(notice.kind is NotificationKind.REMINDER for notice in request.notify):
        late = datetime.now(UTC) - lifecycle.reminder_time(request.meeting)
        REMINDER_LATENESS.observe(max(late.total_seconds(), 0.0))
