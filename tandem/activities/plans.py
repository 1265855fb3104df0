"""Committing a team plan (SPEC W6): each session booked as a coaching appointment through the
same create update and booking guard as any other, and the plan's progress recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from temporalio import activity

from tandem.activities.messages import (
    BOOK_SESSION,
    CHECK_PLAN,
    RECORD_PLAN,
    UNBOOK_SESSION,
    BookSession,
    UnbookSession,
)
from tandem.activities.series import MeetingPort
from tandem.domain.errors import Conflict, DomainError
from tandem.domain.meetings import Delete, Meeting, MeetingKind
from tandem.domain.plans import PlanCommit, PlanProgress, SessionOutcome
from tandem.store import bookings, meetings, plans, users
from tandem.store.db import Database


class PlanActivities:
    def __init__(self, db: Database, meetings_port: MeetingPort, finished: type[Exception]) -> None:
        self.db = db
        self.port = meetings_port
        self.finished = finished

    @activity.defn(name=CHECK_PLAN)
    async def check_plan(self, commit: PlanCommit) -> list[SessionOutcome]:
        """Sessions whose time is no longer free for the agent or the facilitator."""

        def check(session: Session) -> list[SessionOutcome]:
            found = []
            for planned in commit.sessions:
                clash = bookings.clashes(
                    session,
                    [planned.agent_id, planned.facilitator_id],
                    planned.starts_at,
                    planned.starts_at + timedelta(minutes=planned.duration_minutes),
                    excluding_meeting=planned.meeting_id,
                )
                if clash:
                    reason = f"clashes with meeting {clash[0].meeting_id}"
                    found.append(
                        SessionOutcome(
                            agent_id=planned.agent_id,
                            meeting_id=planned.meeting_id,
                            booked=False,
                            reason=reason,
                        )
                    )
            return found

        return await self.db.read(check)

    @activity.defn(name=BOOK_SESSION)
    async def book_session(self, request: BookSession) -> SessionOutcome:
        planned, commit = request.session, request.commit
        meeting = Meeting(
            id=planned.meeting_id,
            kind=MeetingKind.COACHING,
            name=commit.name,
            facilitator_id=planned.facilitator_id,
            participant_ids=[planned.agent_id],
            starts_at=planned.starts_at,
            duration_minutes=planned.duration_minutes,
            timezone="UTC",
            created_by=commit.actor_id,
            created_at=datetime.now(UTC),
        )
        facilitator = await self.db.read(lambda s: _zone_of(s, planned.facilitator_id))
        meeting = meeting.model_copy(update={"timezone": facilitator})
        outcome = SessionOutcome(
            agent_id=planned.agent_id, meeting_id=planned.meeting_id, booked=True
        )
        try:
            await self.port.create(meeting, commit.actor_id)
        except self.finished:
            return outcome  # booked by an earlier attempt, and already over
        except Conflict as clash:
            return outcome.model_copy(update={"booked": False, "reason": clash.message})
        return outcome

    @activity.defn(name=UNBOOK_SESSION)
    async def unbook_session(self, request: UnbookSession) -> None:
        record = await self.db.read(lambda s: meetings.get_meeting(s, request.meeting_id))
        if record is None:
            return
        try:
            await self.port.apply(
                record.meeting, Delete(actor_id=request.actor_id, reason=request.reason)
            )
        except DomainError:
            return  # already deleted, or started meanwhile: nothing more to undo

    @activity.defn(name=RECORD_PLAN)
    async def record_plan(self, progress: PlanProgress) -> None:
        await self.db.write(lambda s: plans.record_progress(s, progress, datetime.now(UTC)))


def _zone_of(session: Session, user_id: str) -> str:
    user = users.get_user(session, user_id)
    return user.timezone if user else "UTC"
