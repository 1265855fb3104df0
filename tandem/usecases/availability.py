"""Who is free when, as the slot finder sees it (SPEC W2-W4), built from the database.

Appointments are every booking of a person (1:1s and coaching alike), minus the appointment being
edited. WFM shifts and activities come from the imported schedules; a person without WFM data is
only bound by appointments and, as facilitator, by the working hours in their settings. Staffing
curves are those of the attendees' business units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict, Invalid
from tandem.domain.meetings import MeetingKind
from tandem.domain.times import zone
from tandem.domain.users import User
from tandem.solver import (
    PersonSchedule,
    Rule,
    SlotQuery,
    Span,
    Staffing,
    Violation,
    check_slot,
    from_minutes,
    to_minutes,
)
from tandem.store import bookings, users
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import Visible
from tandem.usecases.wfm_cache import WfmCache, WfmPerson

HORIZON = timedelta(weeks=6)
# Shifts and working days can start the day before a window opens and end the day after.
MARGIN = timedelta(days=1)
# Rules of W3 that are the guest's input, not the people's availability: a 422, not a 409.
TIMING_RULES = frozenset({Rule.BEFORE_NOW, Rule.BEYOND_HORIZON, Rule.OUTSIDE_WINDOW})


def working_spans(user: User, start: datetime, end: datetime) -> list[Span] | None:
    """The user's working hours between ``start`` and ``end`` (None when they set none)."""
    hours = user.preferences.working_hours
    if not hours:
        return None
    tz = zone(user.timezone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    spans = []
    while day <= end.astimezone(tz).date():
        for stretch in hours:
            if stretch.weekday == day.weekday():
                opens = datetime.combine(day, stretch.start, tzinfo=tz)
                closes = datetime.combine(day, stretch.end, tzinfo=tz)
                spans.append(Span(to_minutes(opens), to_minutes(closes)))
        day += timedelta(days=1)
    return spans


def _schedule(
    user: User,
    booked: list[tuple[str, int, int]],
    wfm_data: WfmPerson | None,
    hours: list[Span] | None,
) -> PersonSchedule:
    return PersonSchedule(
        person_id=user.id,
        appointments=[Span(a, b) for who, a, b in booked if who == user.id],
        shifts=None if wfm_data is None else wfm_data.shifts,
        activities=() if wfm_data is None else wfm_data.activities,
        wfm=None if wfm_data is None else wfm_data.arrays,
        working_hours=hours,
        business_unit=wfm_data.business_unit if wfm_data else user.business_unit,
        time_zone=user.timezone,
    )


@dataclass(frozen=True)
class Schedules:
    people: dict[str, PersonSchedule]
    staffing: Staffing | None


def schedules(
    session: Session,
    cache: WfmCache,
    *,
    agents: list[User],
    facilitators: list[User],
    window: tuple[datetime, datetime],
    excluding_meeting: str | None = None,
) -> Schedules:
    """Everyone's schedule around this window and the agents' staffing, in a few queries."""
    people = [*agents, *facilitators]
    ids = [p.id for p in people]
    lo, hi = window[0] - MARGIN, window[1] + MARGIN
    booked = bookings.busy(session, ids, lo, hi, excluding_meeting=excluding_meeting)
    wfm_data, curves = cache.read(session, people, lo, hi)
    agent_units = {wfm_data[a.id].business_unit for a in agents if a.id in wfm_data}
    staffing = {unit: c for unit, c in curves.items() if unit in agent_units}
    coaches = {f.id for f in facilitators}
    return Schedules(
        people={
            p.id: _schedule(
                p, booked, wfm_data.get(p.id), working_spans(p, lo, hi) if p.id in coaches else None
            )
            for p in people
        },
        staffing=staffing or None,
    )


def slot_query(
    session: Session,
    cache: WfmCache,
    *,
    attendees: list[User],
    facilitator: User,
    window: tuple[datetime, datetime],
    duration: int,
    now: datetime,
    limit: int = 10,
    excluding_meeting: str | None = None,
    respect_floor: bool = False,
) -> SlotQuery:
    found = schedules(
        session,
        cache,
        agents=attendees,
        facilitators=[facilitator],
        window=window,
        excluding_meeting=excluding_meeting,
    )
    return SlotQuery(
        attendees=[found.people[a.id] for a in attendees],
        facilitator=found.people[facilitator.id],
        window=Span(to_minutes(window[0]), to_minutes(window[1])),
        now=to_minutes(now),
        duration=duration,
        limit=limit,
        staffing=found.staffing,
        respect_floor=respect_floor,
    )


def booking_violations(
    session: Session,
    cache: WfmCache,
    *,
    attendees: list[User],
    facilitator: User,
    starts_at: datetime,
    duration: int,
    now: datetime,
    excluding_meeting: str | None = None,
) -> list[Violation]:
    """W3 at booking time: every rule a coaching appointment at ``starts_at`` would break,
    except overlaps with other appointments: the booking guard refuses those atomically, naming
    the meeting, as part of the booking itself. The window is the horizon, so "outside the
    window" only ever means "beyond six weeks"."""
    query = slot_query(
        session,
        cache,
        attendees=attendees,
        facilitator=facilitator,
        window=(min(now, starts_at), max(now + HORIZON, starts_at + timedelta(minutes=duration))),
        duration=duration,
        now=now,
        excluding_meeting=excluding_meeting,
    )
    left_to_guard = {Rule.OFF_GRID, Rule.APPOINTMENT_CONFLICT}
    return [v for v in check_slot(query, to_minutes(starts_at)) if v.rule not in left_to_guard]


def refuse(violations: Iterable[Violation], names: dict[str, str]) -> None:
    """Turn W3 violations into the caller's error: timing is bad input, availability a clash."""
    found = list(violations)
    if not found:
        return
    timing = [v for v in found if v.rule in TIMING_RULES]
    if timing:
        raise Invalid(timing[0].message, field="starts_at", rule=timing[0].rule.value)
    first = found[0]
    who = names.get(first.person_id or "", "someone")
    raise Conflict(
        f"{who} is not free then: {first.message}",
        violations=[
            {
                "rule": v.rule.value,
                "person_id": v.person_id,
                "message": v.message,
                "starts_at": from_minutes(v.conflict.start).isoformat() if v.conflict else None,
                "ends_at": from_minutes(v.conflict.end).isoformat() if v.conflict else None,
            }
            for v in found
        ],
    )


async def recheck_coaching(
    svc: Services,
    *,
    attendees: list[User],
    facilitator_id: str,
    starts_at: datetime,
    duration: int,
    excluding_meeting: str | None = None,
) -> None:
    """Refuse a coaching time that breaks W3 now (409), or is outside the horizon (422)."""
    moment = datetime.now(UTC)

    def check(session: Session) -> tuple[list[Violation], dict[str, str]]:
        facilitator = users.get_user(session, facilitator_id)
        assert facilitator is not None
        found = booking_violations(
            session,
            svc.wfm,
            attendees=attendees,
            facilitator=facilitator,
            starts_at=starts_at,
            duration=duration,
            now=moment,
            excluding_meeting=excluding_meeting,
        )
        return found, {p.id: p.name for p in [*attendees, facilitator]}

    refuse(*await svc.db.read(check))


async def recheck_moved(
    svc: Services, visible: Visible, starts_at: datetime, duration: int
) -> None:
    """M3, M7: a coaching appointment moved to a new time must pass W3 there now (not counting
    itself); other meetings only need the booking guard."""
    m = visible.meeting
    if m.kind is MeetingKind.COACHING:
        await recheck_coaching(
            svc,
            attendees=visible.participants,
            facilitator_id=m.facilitator_id,
            starts_at=starts_at,
            duration=duration,
            excluding_meeting=m.id,
        )
