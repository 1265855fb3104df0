"""W7: when WFM schedules change, coaching appointments they break are flagged.

Every planned coaching appointment of the people whose schedule changed is checked against W3
again (the appointment itself excluded). One that no longer fits becomes ``invalid_schedule`` and
its facilitator is told; one that fits again goes back to ``scheduled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tandem.domain.meetings import MeetingStatus, ScheduleCheck
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.store.meetings import MeetingRecord
from tandem.usecases.availability import booking_violations
from tandem.usecases.context import Services
from tandem.usecases.wfm_cache import WfmCache


def _checks(
    session: Session,
    cache: WfmCache,
    user_ids: list[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[tuple[MeetingRecord, list[str]]]:
    found = []
    for record in meetings.planned_coaching(session, user_ids, max(start, now), end):
        m = record.meeting
        people: dict[str, User] = users.get_users(session, m.attendee_ids)
        if m.facilitator_id not in people:
            continue
        violations = booking_violations(
            session,
            cache,
            attendees=[people[p] for p in m.participant_ids if p in people],
            facilitator=people[m.facilitator_id],
            starts_at=m.starts_at,
            duration=m.duration_minutes,
            now=now,
            excluding_meeting=m.id,
        )
        names = {uid: u.name for uid, u in people.items()}
        found.append(
            (
                record,
                [f"{names.get(v.person_id or '', 'someone')}: {v.message}" for v in violations],
            )
        )
    return found


@dataclass(frozen=True)
class AppointmentChange:
    """One coaching appointment whose status a schedule change flipped (W7)."""

    meeting_id: str
    name: str
    starts_at: datetime
    facilitator_id: str
    participant_ids: list[str]
    status: MeetingStatus
    """The new status: ``invalid_schedule``, or ``scheduled`` when it fits again."""
    problems: list[str]


async def appointment_changes(
    svc: Services, user_ids: list[str], start: datetime, end: datetime, actor_id: str | None = None
) -> list[AppointmentChange]:
    """Re-check these people's coaching between ``start`` and ``end``; the ones that changed."""
    now = datetime.now(UTC)
    changed = []
    for record, problems in await svc.db.read(
        lambda s: _checks(s, svc.wfm, user_ids, start, end, now)
    ):
        m = record.meeting
        broken = bool(problems)
        if broken == (m.status is MeetingStatus.INVALID_SCHEDULE):
            continue
        await svc.meetings.apply(m, ScheduleCheck(actor_id=actor_id, problems=problems))
        changed.append(
            AppointmentChange(
                meeting_id=m.id,
                name=m.name,
                starts_at=m.starts_at,
                facilitator_id=m.facilitator_id,
                participant_ids=list(m.participant_ids),
                status=MeetingStatus.INVALID_SCHEDULE if broken else MeetingStatus.SCHEDULED,
                problems=problems,
            )
        )
    return changed


async def revalidate(
    svc: Services, user_ids: list[str], start: datetime, end: datetime, actor_id: str | None = None
) -> int:
    """Re-check these people's coaching between ``start`` and ``end``; returns how many changed."""
    return len(await appointment_changes(svc, user_ids, start, end, actor_id))
