"""WFM data (SPEC W1): imports that replace a business unit's weeks, and what the slot finder reads.

Rules about the imported data itself live in :mod:`tandem.domain.wfm`; here are the ones that
need the database: the agents exist and belong to no other business unit, a business unit keeps
its zone, and a new shift does not overlap a stored one of a neighbouring week. Each import is
one transaction: on any error nothing is changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    delete,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict, Invalid
from tandem.domain.times import zone
from tandem.domain.wfm import (
    MAX_SHIFT,
    ScheduleImport,
    SchedulePlan,
    ServiceLevelIn,
    StaffingImport,
    StaffingInterval,
    monday_of,
    parse_model,
    plan_schedule,
    plan_staffing,
    week_range,
)
from tandem.store.schema import (
    UserRow,
    WfmActivityRow,
    WfmBusinessUnitRow,
    WfmShiftRow,
    WfmStaffingRow,
    WfmWeekRow,
)
from tandem.store.sql import insert_ignoring_duplicates
from tandem.store.types import UtcInstants, minutes_of, raw_instant

# Open ranges for "everything stored" (the overlap scans subtract MAX_SHIFT from the start).
BEGINNING = datetime(1990, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(2200, 1, 1, tzinfo=UTC)


# -- what the slot finder reads ---------------------------------------------------------------


@dataclass(frozen=True)
class WfmActivity:
    starts_at: datetime  # aware UTC
    ends_at: datetime
    category: str  # one of the eight categories
    paid: bool
    interruptible: bool


class ActivityMinutes(NamedTuple):
    """One activity as the slot finder reads it: times in minutes since the epoch (UTC)."""

    start: int
    end: int
    category: str  # one of the eight categories
    paid: bool
    interruptible: bool


@dataclass(frozen=True)
class WfmSchedule:
    business_unit: str
    timezone: str
    """The business unit's IANA zone."""
    shifts: list[tuple[int, int]]
    """Minutes since the epoch (UTC), sorted; every shift overlapping the range, whole (not cut
    at its edges)."""
    activities: list[ActivityMinutes]
    """Sorted by start; every activity overlapping the range, whole."""
    weeks: list[tuple[datetime, datetime]] = field(default_factory=list)
    """The imported weeks of the business unit that overlap the range (UTC, sorted): where the
    person is a WFM agent. Outside them the business unit has no schedule."""


# The slot finder's statements, built once: building and keying a statement per call cost more
# than running it. Parameters: ids (expanding), start, end, earliest (= start - MAX_SHIFT).
_MEMBERS = (
    select(
        UserRow.id,
        UserRow.business_unit,
        WfmBusinessUnitRow.timezone,
        WfmWeekRow.starts_at,
        WfmWeekRow.ends_at,
    )
    .join(WfmWeekRow, WfmWeekRow.business_unit == UserRow.business_unit)
    .join(WfmBusinessUnitRow, WfmBusinessUnitRow.name == UserRow.business_unit)
    .where(
        UserRow.id.in_(bindparam("ids", expanding=True)),
        WfmWeekRow.starts_at < bindparam("end"),
        WfmWeekRow.ends_at > bindparam("start"),
    )
)
# Shifts last at most a day, so "overlaps the range" is a bounded scan of the indexes on
# (user_id, shift start). Activities lie inside their shift: overlapping the range, their shift
# does too. One UNION ALL per member, so shift columns are not repeated on every activity row,
# and neither the person nor the business unit is: a text column on each of six weeks' rows
# cost more than the rest of the read. Rows of a business unit the person has since left are
# left out by the unit.
_SHIFTS_AND_ACTIVITIES = union_all(
    select(
        literal(None, String).label("category"),
        minutes_of(WfmShiftRow.starts_at),
        minutes_of(WfmShiftRow.ends_at),
        literal(None, Boolean).label("paid"),
        literal(None, Boolean).label("interruptible"),
    ).where(
        WfmShiftRow.user_id == bindparam("member"),
        WfmShiftRow.business_unit == bindparam("unit"),
        WfmShiftRow.starts_at > bindparam("earliest"),
        WfmShiftRow.starts_at < bindparam("end"),
        WfmShiftRow.ends_at > bindparam("start"),
    ),
    select(
        WfmActivityRow.category,
        minutes_of(WfmActivityRow.starts_at),
        minutes_of(WfmActivityRow.ends_at),
        WfmActivityRow.paid,
        WfmActivityRow.interruptible,
    ).where(
        WfmActivityRow.user_id == bindparam("member"),
        WfmActivityRow.business_unit == bindparam("unit"),
        WfmActivityRow.shift_starts_at > bindparam("earliest"),
        WfmActivityRow.shift_starts_at < bindparam("end"),
        WfmActivityRow.starts_at < bindparam("end"),
        WfmActivityRow.ends_at > bindparam("start"),
    ),
)
_STAFFING = (
    select(
        WfmStaffingRow.business_unit,
        raw_instant(WfmStaffingRow.starts_at),
        WfmStaffingRow.forecast,
        WfmStaffingRow.scheduled,
        WfmStaffingRow.contacts,
        WfmStaffingRow.aht_seconds,
    )
    .where(
        WfmStaffingRow.business_unit.in_(bindparam("units", expanding=True)),
        WfmStaffingRow.starts_at >= bindparam("start"),
        WfmStaffingRow.starts_at < bindparam("end"),
    )
    .order_by(WfmStaffingRow.business_unit, WfmStaffingRow.starts_at)
)
# The same for one business unit, without the unit's name on every row: building the rows is
# most of reading six weeks of them.
_UNIT_STAFFING_MINUTES = (
    select(
        minutes_of(WfmStaffingRow.starts_at),
        WfmStaffingRow.forecast,
        WfmStaffingRow.scheduled,
        WfmStaffingRow.contacts,
        WfmStaffingRow.aht_seconds,
    )
    .where(
        WfmStaffingRow.business_unit == bindparam("unit"),
        WfmStaffingRow.starts_at >= bindparam("start"),
        WfmStaffingRow.starts_at < bindparam("end"),
    )
    .order_by(WfmStaffingRow.starts_at)
)


def schedules_for(
    session: Session, user_ids: Iterable[str], start: datetime, end: datetime
) -> dict[str, WfmSchedule]:
    """WFM data of these people overlapping [start, end). A person appears in the result iff they
    belong to a business unit that has an imported schedule for any week overlapping the range —
    then with possibly empty shifts (a WFM agent with no shift is never available); a person
    absent from the result has no WFM data (the slot finder then only looks at appointments).

    Shifts and activities overlapping the range are returned whole (not cut at its edges).
    Indexed queries: membership (users x imported weeks), then shifts and activities together,
    one query per member.
    """
    ids = list(set(user_ids))
    if not ids or end <= start:
        return {}
    # Core execution throughout: the ORM's row loading costs more than the rest of this.
    connection = session.connection()
    members = connection.execute(_MEMBERS, {"ids": ids, "start": start, "end": end}).all()
    if not members:
        return {}
    units: dict[str, tuple[str, str]] = {}
    weeks: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for user_id, unit, timezone, week_start, week_end in members:
        units[user_id] = (unit, timezone)
        weeks[user_id].append((week_start, week_end))
    found = {}
    around = {"start": start, "end": end, "earliest": start - MAX_SHIFT}
    for user_id, (unit, timezone) in units.items():
        shifts, activities = [], []
        member = {**around, "member": user_id, "unit": unit}
        rows = connection.execute(_SHIFTS_AND_ACTIVITIES, member)
        for category, a, b, paid, interruptible in rows:
            if category is None:
                shifts.append((a, b))
            else:
                activities.append(ActivityMinutes(a, b, category, paid, interruptible))
        found[user_id] = WfmSchedule(
            business_unit=unit,
            timezone=timezone,
            shifts=sorted(shifts),
            activities=sorted(activities, key=itemgetter(0, 1, 2)),  # start, end, category
            weeks=sorted(weeks[user_id]),
        )
    return found


def _activity_key(a: WfmActivity) -> tuple[datetime, datetime, str]:
    return (a.starts_at, a.ends_at, a.category)


def staffing_for(
    session: Session, business_units: Iterable[str], start: datetime, end: datetime
) -> dict[str, list[StaffingInterval]]:
    """Per business unit, its 15-minute intervals in [start, end) (start in UTC), sorted. An
    interval belongs to the range when it starts inside it; business units with no interval
    there are left out."""
    units = set(business_units)
    if not units or end <= start:
        return {}
    rows = session.connection().execute(
        _STAFFING, {"units": list(units), "start": start, "end": end}
    )
    result: dict[str, list[StaffingInterval]] = defaultdict(list)
    instant = UtcInstants()
    for unit, at, forecast, scheduled, contacts, aht in rows:
        result[unit].append(
            StaffingInterval(instant(at), float(forecast), float(scheduled), contacts, aht)
        )
    return dict(result)


StaffingRow = tuple[int, float, float, float | None, float | None]
"""(start in minutes since the epoch, forecast, scheduled, contacts, aht_seconds)."""


def staffing_minutes(
    session: Session, business_units: Iterable[str], start: datetime, end: datetime
) -> dict[str, list[StaffingRow]]:
    """:func:`staffing_for` as the slot finder reads it: plain rows, the start in minutes. Six
    weeks are ~4,000 intervals a business unit, and an object with a datetime each was most of
    reading them."""
    if end <= start:
        return {}
    connection = session.connection()
    result: dict[str, list[StaffingRow]] = {}
    for unit in set(business_units):
        window = {"unit": unit, "start": start, "end": end}
        # Plain tuples: numpy reads them at once, and probes a Row attribute by attribute.
        if found := [tuple(row) for row in connection.execute(_UNIT_STAFFING_MINUTES, window)]:
            result[unit] = found
    return result


def service_goals(session: Session, business_units: Iterable[str]) -> dict[str, ServiceLevelIn]:
    """The stored service-level goal of each of these business units that has one (W4)."""
    units = list(set(business_units))
    if not units:
        return {}
    unit = WfmBusinessUnitRow
    rows = session.execute(
        select(
            unit.name,
            unit.sl_target_percent,
            unit.sl_threshold_seconds,
            unit.sl_floor_percent,
            unit.sl_patience_seconds,
        ).where(unit.name.in_(units), unit.sl_target_percent.is_not(None))
    )
    return {
        name: ServiceLevelIn(
            target_percent=target,
            threshold_seconds=threshold,
            floor_percent=floor,
            patience_seconds=patience,
        )
        for name, target, threshold, floor, patience in rows
    }


# Asked on every slot query: built once, like the finder's other statements.
_UNIT_VERSIONS = select(WfmBusinessUnitRow.name, WfmBusinessUnitRow.updated_at).where(
    WfmBusinessUnitRow.name.in_(bindparam("units", expanding=True))
)


def unit_versions(session: Session, business_units: Iterable[str]) -> dict[str, datetime]:
    """When each business unit's WFM data last changed (every import moves it on)."""
    units = list(set(business_units))
    if not units:
        return {}
    return dict(session.connection().execute(_UNIT_VERSIONS, {"units": units}).all())


def business_unit_zone(session: Session, name: str) -> str | None:
    return session.scalar(
        select(WfmBusinessUnitRow.timezone).where(WfmBusinessUnitRow.name == name)
    )


# -- what people check after an import (GET /v1/wfm/schedules) -------------------------------


@dataclass(frozen=True)
class StoredWeek:
    week_start: date
    starts_at: datetime
    ends_at: datetime
    imported_at: datetime
    imported_by: str | None


@dataclass(frozen=True)
class StoredShift:
    starts_at: datetime
    ends_at: datetime
    activities: list[WfmActivity]


@dataclass(frozen=True)
class UnitSchedule:
    business_unit: str
    timezone: str
    weeks: list[StoredWeek]
    agents: dict[str, list[StoredShift]]
    """Every member of the business unit (sorted by id), with their shifts starting in range."""


def unit_schedule(
    session: Session, business_unit: str, start: datetime | None, end: datetime | None
) -> UnitSchedule | None:
    """The stored schedule of a business unit: shifts that *start* in [start, end) (by default
    everything), with all their activities. None for an unknown business unit."""
    timezone = business_unit_zone(session, business_unit)
    if timezone is None:
        return None
    lo, hi = start or BEGINNING, end or END_OF_TIME
    weeks = [
        StoredWeek(r.week_start, r.starts_at, r.ends_at, r.imported_at, r.imported_by)
        for r in session.scalars(
            select(WfmWeekRow)
            .where(
                WfmWeekRow.business_unit == business_unit,
                WfmWeekRow.starts_at < hi,
                WfmWeekRow.ends_at > lo,
            )
            .order_by(WfmWeekRow.starts_at)
        )
    ]
    members = session.scalars(select(UserRow.id).where(UserRow.business_unit == business_unit))
    agents: dict[str, dict[datetime, StoredShift]] = {user_id: {} for user_id in members}
    rows = session.execute(
        select(
            WfmShiftRow.user_id,
            WfmShiftRow.starts_at,
            WfmShiftRow.ends_at,
            WfmActivityRow.starts_at,
            WfmActivityRow.ends_at,
            WfmActivityRow.category,
            WfmActivityRow.paid,
            WfmActivityRow.interruptible,
        )
        .outerjoin(
            WfmActivityRow,
            and_(
                WfmActivityRow.user_id == WfmShiftRow.user_id,
                WfmActivityRow.shift_starts_at == WfmShiftRow.starts_at,
            ),
        )
        .where(
            WfmShiftRow.business_unit == business_unit,
            WfmShiftRow.starts_at >= lo,
            WfmShiftRow.starts_at < hi,
        )
    ).all()
    for user_id, s_start, s_end, a_start, a_end, category, paid, interruptible in rows:
        shifts = agents.setdefault(user_id, {})
        shift = shifts.setdefault(s_start, StoredShift(s_start, s_end, []))
        if a_start is not None:
            shift.activities.append(WfmActivity(a_start, a_end, category, paid, interruptible))
    return UnitSchedule(
        business_unit=business_unit,
        timezone=timezone,
        weeks=weeks,
        agents={
            user_id: [
                StoredShift(s.starts_at, s.ends_at, sorted(s.activities, key=_activity_key))
                for _, s in sorted(agents[user_id].items())
            ]
            for user_id in sorted(agents)
        },
    )


# -- imports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleImported:
    """What a schedule import replaced. ``starts_at``/``ends_at`` bound every shift removed or
    added (the weeks, stretched by night shifts running past their end): coaching booked there
    for ``changed_agent_ids`` must be re-checked (W7)."""

    business_unit: str
    timezone: str
    week_starts: list[date]
    starts_at: datetime
    ends_at: datetime
    agent_ids: list[str]
    """The agents of the import, in its order."""
    changed_agent_ids: list[str]
    """Agents whose WFM availability in the range changed (shifts or activities added, removed or
    altered; newly in the business unit; or members of it when a week is imported the first
    time), sorted."""
    joined_agent_ids: list[str]
    """Agents who had no business unit and were put in this one by the import."""
    shifts: int
    activities: int

    def summary(self) -> dict[str, Any]:
        return {
            "kind": "schedule",
            "business_unit": self.business_unit,
            "timezone": self.timezone,
            "weeks": [w.isoformat() for w in self.week_starts],
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "agents": len(self.agent_ids),
            "shifts": self.shifts,
            "activities": self.activities,
            "changed_agent_ids": self.changed_agent_ids,
            "joined_agent_ids": self.joined_agent_ids,
        }


@dataclass(frozen=True)
class StaffingImported:
    business_unit: str
    starts_at: datetime
    ends_at: datetime
    intervals: int

    def summary(self) -> dict[str, Any]:
        return {
            "kind": "staffing",
            "business_unit": self.business_unit,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "intervals": self.intervals,
        }


def _unit_for_update(
    session: Session, name: str, timezone: str | None, now: datetime, *, has_weeks: bool
) -> str:
    """The business unit's zone, creating the unit if needed (with ``timezone``), locked for the
    rest of the transaction so that imports into one unit run one after the other."""
    if timezone is not None:
        insert_ignoring_duplicates(
            session,
            WfmBusinessUnitRow.__table__,
            [{"name": name, "timezone": timezone, "created_at": now, "updated_at": now}],
            ["name"],
        )
    row = session.scalar(
        select(WfmBusinessUnitRow).where(WfmBusinessUnitRow.name == name).with_for_update()
    )
    if row is None:
        raise Invalid(
            f"timezone: business unit {name!r} is new; give its IANA time zone",
            field="timezone",
        )
    if timezone is not None and row.timezone != timezone:
        stored_weeks = session.scalar(
            select(WfmWeekRow.week_start).where(WfmWeekRow.business_unit == name).limit(1)
        )
        if stored_weeks is not None or not has_weeks:
            raise Conflict(
                f"timezone: business unit {name!r} is in {row.timezone}, not {timezone}; "
                "a business unit keeps its zone",
                field="timezone",
                business_unit=name,
                timezone=row.timezone,
            )
        row.timezone = timezone
    # Every import moves the unit's version on: readers caching its data (the slot finder's
    # cache in tandem.usecases.wfm_cache) compare it and reload.
    row.updated_at = max(now, row.updated_at + timedelta(microseconds=1))
    return row.timezone


def replace_schedule(
    session: Session,
    data: ScheduleImport | Mapping[str, Any],
    now: datetime,
    *,
    imported_by: str | None = None,
) -> ScheduleImported:
    """Replace the business unit's schedule for the imported weeks (see tandem.domain.wfm).

    Raises Invalid (422) for bad data, naming the field path, and Conflict (409) for an agent of
    another business unit or a business unit's zone changed; nothing is written then.
    """
    body = data if isinstance(data, ScheduleImport) else parse_model(ScheduleImport, data)
    plan = plan_schedule(body)
    unit = plan.business_unit
    _unit_for_update(session, unit, plan.timezone, now, has_weeks=True)
    joined = _check_agents(session, plan)
    week_starts = plan.week_starts
    _check_neighbours(session, plan)

    old_rows = session.execute(
        select(WfmShiftRow.user_id, WfmShiftRow.starts_at, WfmShiftRow.ends_at).where(
            WfmShiftRow.business_unit == unit, WfmShiftRow.week_start.in_(week_starts)
        )
    ).all()
    old_activities = session.execute(
        select(
            WfmActivityRow.user_id,
            WfmActivityRow.shift_starts_at,
            WfmActivityRow.starts_at,
            WfmActivityRow.ends_at,
            WfmActivityRow.category,
            WfmActivityRow.paid,
            WfmActivityRow.interruptible,
        ).where(WfmActivityRow.business_unit == unit, WfmActivityRow.week_start.in_(week_starts))
    ).all()
    old = _signatures(
        ((r.user_id, r.starts_at, r.ends_at) for r in old_rows),
        ((a[0], a[1], tuple(a[2:])) for a in old_activities),
    )
    new = _signatures(
        ((agent, s.starts_at, s.ends_at) for agent, shifts in plan.agents.items() for s in shifts),
        (
            (agent, s.starts_at, (a.starts_at, a.ends_at, a.category, a.paid, a.interruptible))
            for agent, shifts in plan.agents.items()
            for s in shifts
            for a in s.activities
        ),
    )
    changed = {agent for agent in old.keys() | new.keys() if old.get(agent) != new.get(agent)}
    changed |= set(joined)
    stored_weeks = set(
        session.scalars(
            select(WfmWeekRow.week_start).where(
                WfmWeekRow.business_unit == unit, WfmWeekRow.week_start.in_(week_starts)
            )
        )
    )
    if stored_weeks != set(week_starts):
        # A week imported for the first time makes every member a WFM agent there.
        changed |= set(session.scalars(select(UserRow.id).where(UserRow.business_unit == unit)))

    session.execute(
        delete(WfmActivityRow).where(
            WfmActivityRow.business_unit == unit, WfmActivityRow.week_start.in_(week_starts)
        )
    )
    session.execute(
        delete(WfmShiftRow).where(
            WfmShiftRow.business_unit == unit, WfmShiftRow.week_start.in_(week_starts)
        )
    )
    session.execute(
        delete(WfmWeekRow).where(
            WfmWeekRow.business_unit == unit, WfmWeekRow.week_start.in_(week_starts)
        )
    )
    tz = zone(plan.timezone)
    week_rows = []
    for week in week_starts:
        starts_at, ends_at = week_range(week, 1, tz)
        week_rows.append(
            {
                "business_unit": unit,
                "week_start": week,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "imported_at": now,
                "imported_by": imported_by,
            }
        )
    session.execute(insert(WfmWeekRow), week_rows)
    shift_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    for agent, shifts in plan.agents.items():
        for shift in shifts:
            week = monday_of(shift.starts_at, tz)
            shift_rows.append(
                {
                    "user_id": agent,
                    "starts_at": shift.starts_at,
                    "ends_at": shift.ends_at,
                    "business_unit": unit,
                    "week_start": week,
                }
            )
            activity_rows.extend(
                {
                    "user_id": agent,
                    "shift_starts_at": shift.starts_at,
                    "business_unit": unit,
                    "week_start": week,
                    "starts_at": a.starts_at,
                    "ends_at": a.ends_at,
                    "category": a.category,
                    "paid": a.paid,
                    "interruptible": a.interruptible,
                }
                for a in shift.activities
            )
    if shift_rows:
        session.execute(insert(WfmShiftRow), shift_rows)
    if activity_rows:
        session.execute(insert(WfmActivityRow), activity_rows)
    if joined:
        session.execute(update(UserRow).where(UserRow.id.in_(joined)).values(business_unit=unit))

    ends = [plan.ends_at, *(r.ends_at for r in old_rows), *(r["ends_at"] for r in shift_rows)]
    return ScheduleImported(
        business_unit=unit,
        timezone=plan.timezone,
        week_starts=week_starts,
        starts_at=plan.starts_at,
        ends_at=max(ends),
        agent_ids=list(plan.agents),
        changed_agent_ids=sorted(changed),
        joined_agent_ids=sorted(joined),
        shifts=len(shift_rows),
        activities=len(activity_rows),
    )


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def _signatures(
    shifts: Iterable[tuple[str, datetime, datetime]],
    activities: Iterable[tuple[str, datetime, tuple[Any, ...]]],
) -> dict[str, frozenset[Any]]:
    """Per agent, everything that decides their availability, comparable between imports."""
    found: dict[str, set[Any]] = defaultdict(set)
    for agent, starts_at, ends_at in shifts:
        found[agent].add(("shift", starts_at, ends_at))
    for agent, shift_start, activity in activities:
        found[agent].add(("activity", shift_start, *activity))
    return {agent: frozenset(items) for agent, items in found.items()}


def _check_agents(session: Session, plan: SchedulePlan) -> list[str]:
    """Every agent exists and is in this business unit or none; returns those in none."""
    if not plan.agents:
        return []
    rows = {
        user_id: unit
        for user_id, unit in session.execute(
            select(UserRow.id, UserRow.business_unit)
            .where(UserRow.id.in_(list(plan.agents)))
            .with_for_update()
        )
    }
    joined = []
    for agent in plan.agents:
        path = f"{plan.agent_paths[agent]}.agent_id"
        if agent not in rows:
            raise Invalid(f"{path}: no user with id {agent!r}", field=path, agent_id=agent)
        unit = rows[agent]
        if unit is None:
            joined.append(agent)
        elif unit != plan.business_unit:
            raise Conflict(
                f"{path}: agent {agent!r} belongs to business unit {unit!r}, not "
                f"{plan.business_unit!r}",
                field=path,
                agent_id=agent,
                business_unit=unit,
            )
    return joined


def _check_neighbours(session: Session, plan: SchedulePlan) -> None:
    """A new shift may not overlap a stored shift outside the replaced weeks (a night shift
    from the week before running into Monday, or one of the week after)."""
    agents = [agent for agent, shifts in plan.agents.items() if shifts]
    if not agents:
        return
    stored = session.execute(
        select(WfmShiftRow.user_id, WfmShiftRow.starts_at, WfmShiftRow.ends_at).where(
            WfmShiftRow.user_id.in_(agents),
            WfmShiftRow.starts_at > plan.starts_at - MAX_SHIFT,
            WfmShiftRow.starts_at < plan.ends_at + MAX_SHIFT,
            ~and_(
                WfmShiftRow.business_unit == plan.business_unit,
                WfmShiftRow.week_start.in_(plan.week_starts),
            ),
        )
    ).all()
    tz = zone(plan.timezone)
    by_agent: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for agent, starts_at, ends_at in stored:
        by_agent[agent].append((starts_at, ends_at))
    for agent, shifts in plan.agents.items():
        for shift in shifts:
            for starts_at, ends_at in by_agent.get(agent, ()):
                if shift.starts_at < ends_at and starts_at < shift.ends_at:
                    path = f"{shift.path}.starts_at"
                    raise Invalid(
                        f"{path}: the shift {_local(shift.starts_at, tz)} to "
                        f"{_local(shift.ends_at, tz)} overlaps a stored shift of another week "
                        f"({_local(starts_at, tz)} to {_local(ends_at, tz)})",
                        field=path,
                    )


def replace_staffing(
    session: Session, data: StaffingImport | Mapping[str, Any], now: datetime
) -> StaffingImported:
    """Replace the business unit's staffing from its first to the end of its last interval."""
    body = data if isinstance(data, StaffingImport) else parse_model(StaffingImport, data)
    timezone = _unit_for_update(session, body.business_unit, body.timezone, now, has_weeks=False)
    plan = plan_staffing(body, timezone)
    if (goal := plan.service_level) is not None:
        session.execute(
            update(WfmBusinessUnitRow)
            .where(WfmBusinessUnitRow.name == plan.business_unit)
            .values(
                sl_target_percent=goal.target_percent,
                sl_threshold_seconds=goal.threshold_seconds,
                sl_floor_percent=goal.floor_percent,
                sl_patience_seconds=goal.patience_seconds,
            )
        )
    session.execute(
        delete(WfmStaffingRow).where(
            WfmStaffingRow.business_unit == plan.business_unit,
            WfmStaffingRow.starts_at >= plan.starts_at,
            WfmStaffingRow.starts_at < plan.ends_at,
        )
    )
    session.execute(
        insert(WfmStaffingRow),
        [
            {
                "business_unit": plan.business_unit,
                "starts_at": row.starts_at,
                "forecast": row.forecast,
                "scheduled": row.scheduled,
                "contacts": row.contacts,
                "aht_seconds": row.aht_seconds,
            }
            for row in plan.intervals
        ],
    )
    return StaffingImported(plan.business_unit, plan.starts_at, plan.ends_at, len(plan.intervals))
