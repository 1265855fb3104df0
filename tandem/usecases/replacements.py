"""Appointments that heal themselves (W7+, issue 12 item 4); the policy is in
tandem.domain.replacements.

* :func:`search` finds the best replacement slots of a coaching appointment: the slot query
  (tandem.usecases.availability.slot_query and the solver's find_slots) for the same agents,
  facilitator and duration, from now to ``replacement_days`` ahead, the appointment itself left
  out, so the ranking is exactly the slot finder's (service level where volume data exists).
* :func:`rebook` moves an appointment to the best of them through the normal reschedule use
  case (tandem.usecases.lifecycle.reschedule_meeting, acting for the facilitator): W3 is checked
  again, the booking guard decides, the notices go out and the history records it, marked
  automatic. Each attempt has an idempotency key derived from the invalidation (the meeting's
  version then) and the slot, so a retry of the same step is answered by the first one.
* :func:`replacement_slots` is ``GET /v1/meetings/{id}/replacement-slots``;
  :func:`get_settings` / :func:`put_settings` the division settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict, DomainError, NotAllowed
from tandem.domain.meetings import Meeting, MeetingKind, MeetingStatus
from tandem.domain.permissions import Permission
from tandem.domain.replacements import (
    DivisionSettings,
    policy_for,
    rebook_key,
    rebook_reason,
)
from tandem.domain.users import User
from tandem.solver import InvalidQuery, SlotQuery, SlotResult, find_slots, from_minutes
from tandem.store import division_settings, users
from tandem.usecases import availability, lifecycle
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import load, managed_by, now
from tandem.usecases.schemas import RescheduleBody

CANDIDATES = 10
"""Slots ranked (and tried by an automatic rebook, best first): the slot query's default."""


@dataclass(frozen=True)
class Replacements:
    meeting: Meeting
    policy: DivisionSettings
    result: SlotResult | None
    """None when the appointment has no facilitator or agent left to look for."""

    @property
    def starts(self) -> list[datetime]:
        return [] if self.result is None else [from_minutes(s.start) for s in self.result.slots]


def _policy(session: Session, agents: list[User]) -> DivisionSettings:
    divisions = {d for agent in agents for d in agent.divisions}
    return policy_for(division_settings.settings_of(session, divisions).values())


def _query(
    session: Session, svc: Services, meeting: Meeting, moment: datetime
) -> tuple[DivisionSettings, SlotQuery | None]:
    people = users.get_users(session, meeting.attendee_ids)
    agents = [people[p] for p in meeting.participant_ids if p in people]
    policy = _policy(session, agents)
    facilitator = people.get(meeting.facilitator_id)
    if facilitator is None or not agents:
        return policy, None
    query = availability.slot_query(
        session,
        svc.wfm,
        attendees=agents,
        facilitator=facilitator,
        window=(moment, moment + timedelta(days=policy.replacement_days)),
        duration=meeting.duration_minutes,
        now=moment,
        limit=CANDIDATES,
        excluding_meeting=meeting.id,
    )
    return policy, query


async def search(svc: Services, meeting: Meeting, moment: datetime | None = None) -> Replacements:
    """The best replacement slots for ``meeting`` within its divisions' horizon."""
    moment = moment or now()
    policy, query = await svc.db.read(lambda session: _query(session, svc, meeting, moment))
    if query is None:
        return Replacements(meeting, policy, None)
    try:
        return Replacements(meeting, policy, find_slots(query))
    except InvalidQuery:
        # A duration the slot finder cannot place (booked before today's rules): nothing to
        # offer, and the import that broke it must not fail for it.
        return Replacements(meeting, policy, None)


async def policy_of(svc: Services, meeting: Meeting) -> DivisionSettings:
    def read(session: Session) -> DivisionSettings:
        found = users.get_users(session, meeting.participant_ids)
        return _policy(session, list(found.values()))

    return await svc.db.read(read)


async def rebook(
    svc: Services, invalid: Meeting, found: Replacements, problems: list[str]
) -> datetime | None:
    """W7+ auto-rebook: move ``invalid`` (as it was once flagged) to the best of ``found`` still
    free; the new start, or None when none could be had (it stays invalid_schedule)."""
    facilitator = await svc.db.read(lambda session: users.get_user(session, invalid.facilitator_id))
    if facilitator is None:
        return None
    body_reason = rebook_reason(problems)
    for start in found.starts:
        body = RescheduleBody(starts_at=start, reason=body_reason)
        key = rebook_key(invalid.id, invalid.version, start)
        try:
            reply = await lifecycle.reschedule_meeting(
                svc, facilitator, invalid.id, body, idempotency_key=key, automatic=True
            )
        except Conflict:
            continue  # taken meanwhile (W5), or the meeting moved on: try the next best
        except DomainError:
            return None  # not the facilitator's to move any more (permissions, timing)
        if reply.status == 200:
            return start
    return None


async def replacement_slots(svc: Services, user: User, meeting_id: str) -> Replacements:
    """The replacement slots of an ``invalid_schedule`` appointment, for whoever may reschedule
    it (404 if they may not see it, A3; 403 if they see it but may not move it). Any other
    status is a 409 naming it: a valid appointment has no replacements (the slot query finds
    other times for it)."""
    visible = await load(svc, user, meeting_id)
    managed_by(user, "reschedule")(visible)
    m = visible.meeting
    if m.kind is not MeetingKind.COACHING or m.status is not MeetingStatus.INVALID_SCHEDULE:
        raise Conflict(
            f"the meeting is {m.status.value}, not invalid_schedule: only a coaching appointment "
            "a WFM change broke has replacement slots (find other times with the slot query)",
            status=m.status.value,
            meeting_id=m.id,
        )
    return await search(svc, m)


# -- division settings -----------------------------------------------------------------------


def _may_read(user: User, division: str) -> bool:
    return user.is_admin or division in user.divisions


def _may_set(user: User, division: str) -> bool:
    """Admins, and whoever imports the division's WFM schedules (quality managers)."""
    return user.is_admin or (division in user.divisions and user.can(Permission.WFM_IMPORT))


def _refuse(user: User, division: str, what: str) -> NotAllowed:
    return NotAllowed(
        f"you may not {what} the settings of division {division!r} "
        f"(yours: {', '.join(user.divisions) or 'none'}; A5)",
        field="division",
        rule="A5",
    )


async def get_settings(svc: Services, user: User, division: str) -> DivisionSettings:
    if not _may_read(user, division):
        raise _refuse(user, division, "read")
    return (await svc.db.read(lambda s: division_settings.settings_of(s, [division])))[division]


async def put_settings(
    svc: Services, user: User, division: str, settings: DivisionSettings
) -> DivisionSettings:
    if not _may_set(user, division):
        raise _refuse(user, division, "change")
    moment = now()
    await svc.db.write(
        lambda s: division_settings.put_settings(s, division, settings, moment, user.id)
    )
    return settings
