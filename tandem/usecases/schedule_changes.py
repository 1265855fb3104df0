"""W7: when WFM schedules change, coaching appointments they break are flagged.

Every planned coaching appointment of the people whose schedule changed is checked against W3
again (the appointment itself excluded). One that no longer fits becomes ``invalid_schedule`` and
its facilitator is told; one that fits again goes back to ``scheduled``.
"""

from __future__ import annotations

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


async def revalidate(
    svc: Services, user_ids: list[str], start: datetime, end: datetime, actor_id: str | None = None
) -> int:
    """Re-check these people's coaching between ``start`` and ``end``; returns how many changed."""
    now = datetime.now(UTC)
    changed = 0
    for record, problems in await svc.db.read(
        lambda s: _checks(s, svc.wfm, user_ids, start, end, now)
    ):
        status = record.meeting.status
        broken = bool(problems)
        if broken == (status is MeetingStatus.INVALID_SCHEDULE):
            continue
        await svc.meetings.apply(
            record.meeting, ScheduleCheck(actor_id=actor_id, problems=problems)
        )
        changed += 1
    return changed
