"""Side effects of the series workflow: its projection, and its occurrences' meetings.

Occurrences are made and changed through the same meeting gateway the API uses (injected here
as a ``MeetingPort`` by the worker), so each one is a meeting workflow that went through the
create update, the booking guard and the projection like any other meeting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session
from temporalio import activity

from tandem.activities.errors import business_rules
from tandem.activities.messages import (
    CHANGE_OCCURRENCE,
    MATERIALISE_OCCURRENCE,
    SYNC_SERIES,
    AppliedChange,
    ChangeOutcome,
    Materialise,
    Materialised,
    OccurrenceChange,
    SyncSeries,
)
from tandem.activities.notify import people_involved, render_series
from tandem.domain.errors import Conflict, DomainError
from tandem.domain.meetings import Meeting, MeetingKind
from tandem.domain.notifications import NotificationKind, Notify, Recipient
from tandem.store import idempotency, meetings, outbox, series, users
from tandem.store.db import Database


class MeetingPort(Protocol):
    async def create(self, meeting: Meeting, actor_id: str, *, notify: bool = True) -> Meeting: ...

    async def apply(
        self, current: Meeting, change: Any, *, request_id: str | None = None
    ) -> Any: ...


class SeriesActivities:
    def __init__(
        self,
        db: Database,
        meetings_port: MeetingPort,
        finished: type[Exception],
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.port = meetings_port
        # The port's "that workflow has already ended" error: the occurrence exists already.
        self.finished = finished
        self.on_outbox = on_outbox

    def _notify(self, session: Session, subject: Any, notices: list[Notify]) -> int:
        people = users.get_users(
            session,
            people_involved(
                [subject.facilitator_id, subject.participant_id, subject.created_by], notices
            ),
        )
        now = datetime.now(UTC)
        return outbox.enqueue(session, render_series(subject, notices, people, now=now), now)

    @activity.defn(name=SYNC_SERIES)
    async def sync_series(self, request: SyncSeries) -> None:
        def write(session: Session) -> int:
            series.write_projection(session, request.series, request.clashes, datetime.now(UTC))
            if request.update_id is not None:
                outcome = AppliedChange(series=request.series).model_dump(mode="json")
                idempotency.record_applied(session, request.update_id, outcome)
            return self._notify(session, request.series, request.notify)

        with business_rules():
            queued = await self.db.write(write)
        if queued:
            self.on_outbox()

    @activity.defn(name=MATERIALISE_OCCURRENCE)
    async def materialise_occurrence(self, request: Materialise) -> Materialised:
        s, occurrence = request.series, request.occurrence
        meeting = Meeting(
            id=occurrence.meeting_id,
            kind=MeetingKind.ONE_TO_ONE,
            name=s.name,
            description=s.description,
            facilitator_id=s.facilitator_id,
            participant_ids=[s.participant_id],
            starts_at=occurrence.starts_at,
            duration_minutes=occurrence.duration_minutes,
            timezone=occurrence.timezone,
            location=s.location,
            series_id=s.id,
            occurrence_index=occurrence.index,
            created_by=s.created_by,
            created_at=datetime.now(UTC),
        )
        try:
            # N2: the series was announced once; its occurrences are not announced again.
            await self.port.create(meeting, s.facilitator_id, notify=False)
        except self.finished:
            return Materialised(booked=True)  # made before, and already over
        except Conflict as clash:
            await self._report_clash(request, clash.message)
            return Materialised(booked=False, reason=clash.message)
        return Materialised(booked=True)

    async def _report_clash(self, request: Materialise, reason: str) -> None:
        """S3: an occurrence the guard refused is reported to the facilitator, once."""
        notice = Notify(
            kind=NotificationKind.OCCURRENCE_CLASH,
            recipients=[Recipient(user_id=request.series.facilitator_id)],
            occasion=str(request.occurrence.index),
            reason=reason,
            at=request.occurrence.starts_at,
        )
        if await self.db.write(lambda session: self._notify(session, request.series, [notice])):
            self.on_outbox()

    @activity.defn(name=CHANGE_OCCURRENCE)
    async def change_occurrence(self, request: OccurrenceChange) -> ChangeOutcome:
        record = await self.db.read(
            lambda session: meetings.get_meeting(session, request.meeting_id)
        )
        if record is None:
            return ChangeOutcome(applied=False, reason="the occurrence was never booked")
        info = activity.info()
        try:
            # A retried activity repeats the same update id: the meeting answers it once.
            request_id = f"{info.workflow_run_id}/{info.activity_id}"
            await self.port.apply(record.meeting, request.message, request_id=request_id)
        except DomainError as refusal:
            return ChangeOutcome(
                applied=False, reason=refusal.message, error_type=refusal.type.value
            )
        return ChangeOutcome(applied=True)
