"""W7: when WFM schedules change, coaching appointments they break are flagged.

Every planned coaching appointment of the people whose schedule changed is checked against W3
again (the appointment itself excluded). One that no longer fits becomes ``invalid_schedule`` and
its facilitator is told, with the best replacement slots (W7+, tandem.usecases.replacements);
where its divisions say ``auto_rebook``, Tandem then moves it to the best one itself. One that
fits again goes back to ``scheduled``.

Durable without a workflow of its own: an appointment still broken and already
``invalid_schedule`` whose divisions auto-rebook is rebooked at the next check (a retried
import, or one after a crash between the flag and the move), and every move is keyed by the
invalidation, so none is made twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tandem.domain.meetings import MeetingStatus, ScheduleCheck
from tandem.domain.replacements import SHOWN
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.store.meetings import MeetingRecord
from tandem.usecases import replacements
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
    rebooked_to: datetime | None = None
    """W7+: where Tandem moved it by itself (the division's auto-rebook), if it did."""


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
            if broken and (await replacements.policy_of(svc, m)).auto_rebook:
                await replacements.rebook(svc, m, await replacements.search(svc, m), problems)
            continue
        check = ScheduleCheck(actor_id=actor_id, problems=problems)
        found = None
        if broken:
            found = await replacements.search(svc, m, now)
            check = check.model_copy(
                update={
                    "replacements": found.starts[:SHOWN],
                    "search_days": found.policy.replacement_days,
                    "auto_rebook": found.policy.auto_rebook,
                }
            )
        flagged = await svc.meetings.apply(m, check)
        rebooked_to = None
        if found is not None and found.policy.auto_rebook and found.starts:
            rebooked_to = await replacements.rebook(svc, flagged, found, problems)
        changed.append(
            AppointmentChange(
                meeting_id=m.id,
                name=m.name,
                starts_at=m.starts_at,
                facilitator_id=m.facilitator_id,
                participant_ids=list(m.participant_ids),
                status=MeetingStatus.INVALID_SCHEDULE if broken else MeetingStatus.SCHEDULED,
                problems=problems,
                rebooked_to=rebooked_to,
            )
        )
    return changed


async def revalidate(
    svc: Services, user_ids: list[str], start: datetime, end: datetime, actor_id: str | None = None
) -> int:
    """Re-check these people's coaching between ``start`` and ``end``; returns how many changed."""
    return len(await appointment_changes(svc, user_ids, start, end, actor_id))
