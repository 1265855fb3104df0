"""What the slot finder reads about WFM data, kept per process between imports.

Six weeks of a business unit's staffing are thousands of rows and an agent's schedule hundreds:
reading and converting them was most of a slot query. They only change when a schedule or
staffing is imported, and every import moves its business unit's version on
(``wfm.unit_versions``), so one small query per request says whether what is kept still holds.
What is kept covers yesterday to seven weeks ahead, which holds every window the finder accepts;
anything else is read as it is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy.orm import Session

from tandem.domain.users import User
from tandem.domain.wfm import ServiceLevelIn
from tandem.solver import (
    Activity,
    ActivityCategory,
    ServiceGoal,
    Span,
    StaffingCurve,
    WfmArrays,
    wfm_arrays,
)
from tandem.store import wfm
from tandem.store.wfm import WfmSchedule

KEPT_AHEAD = timedelta(weeks=7)


def curve(rows: list[wfm.StaffingRow], goal: ServiceLevelIn | None = None) -> StaffingCurve:
    """Dense 15-minute arrays from the first to the last interval; gaps have no data (NaN).
    Volume (contacts, handle time) and the goal go along only when some interval has volume."""
    # One conversion for every column; None becomes NaN. Minute counts are exact in a float.
    table = np.array(rows, dtype=float)
    at = table[:, 0].astype(np.int64)
    cells = (at - at[0]) // 15

    def dense(column: int) -> np.ndarray:
        out = np.full(cells[-1] + 1, np.nan)
        out[cells] = table[:, column]
        return out

    forecast, scheduled = dense(1), dense(2)
    if goal is None or np.isnan(table[:, 3]).all():
        return StaffingCurve(start=int(at[0]), scheduled=scheduled, forecast=forecast)
    return StaffingCurve(
        start=int(at[0]),
        scheduled=scheduled,
        forecast=forecast,
        contacts=dense(3),
        aht_seconds=dense(4),
        goal=ServiceGoal(
            target_percent=goal.target_percent,
            threshold_seconds=goal.threshold_seconds,
            floor_percent=goal.floor_percent,
            patience_seconds=goal.patience_seconds,
        ),
    )


@dataclass(frozen=True)
class WfmPerson:
    """A person's WFM schedule as the solver reads it (minutes since the epoch, UTC), as objects
    for the rule checks at booking (``check_slot``) and as the slot finder's arrays. It may
    reach beyond the window asked for: the solver clips to its window itself."""

    business_unit: str
    shifts: list[Span]
    activities: list[Activity]
    arrays: WfmArrays


_CATEGORIES = {category.value: category for category in ActivityCategory}


def solver_view(schedule: WfmSchedule) -> WfmPerson:
    shifts = [Span(a, b) for a, b in schedule.shifts]
    activities = [
        Activity(a.start, a.end, _CATEGORIES[a.category], a.paid, a.interruptible)
        for a in schedule.activities
    ]
    return WfmPerson(schedule.business_unit, shifts, activities, wfm_arrays(shifts, activities))


# What a kept value was read under: the business unit, its version, and the day it was read.
Key = tuple[str, datetime, date]


@dataclass
class WfmCache:
    _people: dict[str, tuple[Key, WfmPerson | None]] = field(default_factory=dict)
    _staffing: dict[str, tuple[Key, StaffingCurve | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(
        self, session: Session, people: list[User], start: datetime, end: datetime
    ) -> tuple[dict[str, WfmPerson], dict[str, StaffingCurve]]:
        """People's WFM schedules overlapping [start, end), and their business units' staffing.
        Someone outside any business unit has no WFM data (the finder then only sees
        appointments)."""
        members = [p for p in people if p.business_unit]
        versions = wfm.unit_versions(session, {p.business_unit for p in members})
        members = [p for p in members if p.business_unit in versions]
        today = datetime.now(UTC).date()
        kept_from = datetime.combine(today - timedelta(days=1), time(), UTC)
        kept_to = kept_from + KEPT_AHEAD
        if not members:
            return {}, {}
        if start < kept_from or end > kept_to:
            read = wfm.schedules_for(session, [p.id for p in members], start, end)
            units = {s.business_unit for s in read.values()}
            rows = wfm.staffing_minutes(session, units, start, end)
            goals = wfm.service_goals(session, rows)
            return {pid: solver_view(s) for pid, s in read.items()}, {
                unit: curve(r, goals.get(unit)) for unit, r in rows.items()
            }

        def key(unit: str) -> Key:
            return (unit, versions[unit], today)

        with self._lock:
            stale = [
                p for p in members if self._people.get(p.id, (None,))[0] != key(p.business_unit)
            ]
        if stale:
            fresh = wfm.schedules_for(session, [p.id for p in stale], kept_from, kept_to)
            with self._lock:
                for person in stale:
                    read = fresh.get(person.id)
                    kept_view = None if read is None else solver_view(read)
                    self._people[person.id] = (key(person.business_unit), kept_view)
        with self._lock:
            kept = {p.id: self._people[p.id][1] for p in members}
        found = {pid: view for pid, view in kept.items() if view is not None}

        units = {s.business_unit for s in found.values()}
        with self._lock:
            stale_units = [u for u in units if self._staffing.get(u, (None,))[0] != key(u)]
        if stale_units:
            rows = wfm.staffing_minutes(session, stale_units, kept_from, kept_to)
            goals = wfm.service_goals(session, stale_units)
            with self._lock:
                for unit in stale_units:
                    self._staffing[unit] = (
                        key(unit),
                        curve(rows[unit], goals.get(unit)) if rows.get(unit) else None,
                    )
        with self._lock:
            staffing = {u: c for u in units if (c := self._staffing[u][1]) is not None}
        return found, staffing
