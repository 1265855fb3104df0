"""Coaching back to the WFM system (issue 12 item 5): booked coaching as schedule activities.

``GET /v1/wfm/coaching-activities?business_unit=&from=&to=`` lists every coaching session of the
business unit's people that overlaps [from, to) and is booked (any status but ``cancelled`` and
``deleted``), one activity per person the unit schedules: each agent attending and the
facilitator too when they are a member of the unit. The CSV form has the columns the schedule
import reads (tandem.domain.wfm.parse_schedule_csv), each session a ``meeting`` activity (paid,
not interruptible) inside the stored shift it lies in (or, outside any shift, a shift that is
the session itself), with the activity code ``tandem-coaching:<meeting id>``. The import skips
activities with that code, so the WFM system can send the schedule back with Tandem's coaching
on it without Tandem flagging that coaching against itself (W7).

Who: as the other WFM reads (``wfm.schedule.view``, units and agents of the caller's divisions,
A5; a unit outside them is a 404). The range is at most :data:`MAX_RANGE` (the longest import).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from tandem.domain.access import may_see_wfm_of, require
from tandem.domain.errors import invalid, not_found
from tandem.domain.meetings import MeetingKind, MeetingStatus
from tandem.domain.permissions import Permission
from tandem.domain.times import zone
from tandem.domain.users import User
from tandem.domain.wfm import (
    CSV_ACTIVITY,
    CSV_REQUIRED,
    MAX_SHIFT,
    MAX_WEEKS,
    Category,
    coaching_code,
)
from tandem.store import meetings, wfm
from tandem.usecases.context import Services
from tandem.usecases.wfm import _unit_members_in_scope

MAX_RANGE = timedelta(weeks=MAX_WEEKS)
BOOKED = frozenset(MeetingStatus) - {MeetingStatus.CANCELLED, MeetingStatus.DELETED}
CSV_EXPORT_COLUMNS = (*CSV_REQUIRED, *CSV_ACTIVITY, "paid", "interruptible", "activity_code")


@dataclass(frozen=True)
class CoachingActivity:
    agent_id: str
    role: Literal["attendee", "facilitator"]
    meeting_id: str
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime
    shift_start: datetime
    shift_end: datetime

    @property
    def code(self) -> str:
        return coaching_code(self.meeting_id)


@dataclass(frozen=True)
class CoachingExport:
    business_unit: str
    timezone: str
    start: datetime
    end: datetime
    items: list[CoachingActivity]

    def csv(self) -> str:
        """The import's columns; times in the unit's zone, with their offset."""
        tz = zone(self.timezone)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_EXPORT_COLUMNS)
        for a in self.items:
            writer.writerow(
                [
                    self.business_unit,
                    self.timezone,
                    a.agent_id,
                    a.shift_start.astimezone(tz).isoformat(),
                    a.shift_end.astimezone(tz).isoformat(),
                    a.starts_at.astimezone(tz).isoformat(),
                    a.ends_at.astimezone(tz).isoformat(),
                    Category.MEETING.value,
                    "true",
                    "false",
                    a.code,
                ]
            )
        return out.getvalue()


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise invalid("to", "must be after from")
    if end - start > MAX_RANGE:
        raise invalid("to", f"the range may span at most {MAX_WEEKS} weeks")


def _export(
    session: Session, user: User, business_unit: str, start: datetime, end: datetime
) -> CoachingExport:
    members = _unit_members_in_scope(session, user, business_unit)
    timezone = wfm.business_unit_zone(session, business_unit)
    if timezone is None:
        raise not_found("business unit")
    people = {m.id for m in members if may_see_wfm_of(user, m)}
    # Shifts start at most a day before what they hold.
    stored = wfm.unit_schedule(session, business_unit, start - MAX_SHIFT, end)
    shifts = stored.agents if stored is not None else {}
    items = []
    for record in meetings.planned_coaching(session, sorted(people), start, end, BOOKED):
        m = record.meeting
        if m.kind is not MeetingKind.COACHING:
            continue
        roles: list[tuple[str, Literal["attendee", "facilitator"]]] = [
            (p, "attendee") for p in m.participant_ids
        ]
        roles.append((m.facilitator_id, "facilitator"))
        for person, role in roles:
            if person not in people:
                continue
            inside = next(
                (
                    s
                    for s in shifts.get(person, [])
                    if s.starts_at <= m.starts_at and m.ends_at <= s.ends_at
                ),
                None,
            )
            items.append(
                CoachingActivity(
                    agent_id=person,
                    role=role,
                    meeting_id=m.id,
                    status=m.status,
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                    shift_start=inside.starts_at if inside else m.starts_at,
                    shift_end=inside.ends_at if inside else m.ends_at,
                )
            )
    items.sort(key=lambda a: (a.starts_at, a.agent_id, a.meeting_id))
    return CoachingExport(business_unit, timezone, start, end, items)


async def coaching_activities(
    svc: Services, user: User, business_unit: str, start: datetime, end: datetime
) -> CoachingExport:
    require(user, Permission.WFM_VIEW)
    check_range(start, end)
    return await svc.db.read(lambda session: _export(session, user, business_unit, start, end))
