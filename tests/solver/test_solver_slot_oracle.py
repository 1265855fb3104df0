"""Property test (W3, W4): ``find_slots`` and ``check_slot`` against a minute-by-minute oracle.

The oracle restates the rules as plainly as possible, minute by minute, and shares no code
with the solver; random schedules with unaligned times, overlapping activities, adjacent and
overlapping shifts, partial forecasts and windows cut by "now" or the six-week horizon.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.solver import (
    HORIZON_MINUTES,
    Activity,
    ActivityCategory,
    InvalidQuery,
    PersonSchedule,
    SlotQuery,
    Span,
    StaffingCurve,
    check_slot,
    find_slots,
)
from tests.solver.solver_builders import MONDAY

NEVER = {"break", "meal", "time_off", "meeting", "training", "unavailable"}
UNITS = ("u1", "u2")


@st.composite
def spans(draw, lo: int, hi: int, shortest: int, longest: int) -> Span:
    start = draw(st.integers(lo, hi))
    return Span(start, start + draw(st.integers(shortest, longest)))


@st.composite
def wide_spans(draw, window_start: int) -> Span:
    """Spans that cover a good part of the window: shifts and working hours."""
    start = window_start + draw(st.integers(-180, 60))
    return Span(start, window_start + draw(st.integers(120, 600)))


@st.composite
def people(draw, person_id: str, lo: int, hi: int) -> PersonSchedule:
    """Wide shifts and working hours (which allow time) and short blocks (which take it), so
    that most examples keep some feasible starts."""
    wfm = draw(st.integers(0, 3)) > 0
    activities = []
    if wfm:
        for _ in range(draw(st.integers(0, 6))):
            # On-queue time is what staffing scores depend on: make it the common case.
            category = draw(
                st.sampled_from([ActivityCategory.ON_QUEUE] * 6 + list(ActivityCategory))
            )
            longest = 300 if category == ActivityCategory.ON_QUEUE else 40
            where = draw(spans(lo, hi, 0, longest))
            interruptible = draw(st.integers(0, 3)) > 0
            activities.append(Activity(where.start, where.end, category, True, interruptible))
    covering = st.lists(wide_spans(lo + 60), min_size=1, max_size=3)
    return PersonSchedule(
        person_id=person_id,
        appointments=draw(st.lists(spans(lo, hi, 0, 50), max_size=3)),
        shifts=(draw(covering) if draw(st.integers(0, 7)) else []) if wfm else None,
        activities=activities,
        working_hours=draw(covering) if draw(st.integers(0, 3)) == 0 else None,
        business_unit=draw(st.sampled_from([None, *UNITS, *UNITS])),
    )


@st.composite
def queries(draw) -> SlotQuery:
    window_start = MONDAY + draw(st.integers(0, 600))
    length = draw(st.integers(60, 480)) if draw(st.integers(0, 7)) else draw(st.integers(-30, 60))
    window = Span(window_start, window_start + length)
    if draw(st.integers(0, 3)) > 0:
        now = window_start + draw(
            st.integers(-200, 30) if draw(st.booleans()) else st.integers(-200, 300)
        )
    else:  # the six-week horizon cuts through the window
        now = window_start - HORIZON_MINUTES + draw(st.integers(-30, 500))
    lo, hi = window_start - 60, window_start + 540
    attendees = [draw(people(f"a{i}", lo, hi)) for i in range(draw(st.integers(1, 2)))]
    staffing = {}
    for unit in UNITS:
        if draw(st.integers(0, 3)) > 0:
            start = window_start - window_start % 15 + 15 * draw(st.integers(-8, 8))
            size = draw(st.integers(0, 40))
            halves = st.integers(-10, 60).map(lambda v: v / 2)
            scheduled = draw(st.lists(halves, min_size=size, max_size=size))
            forecast = draw(st.lists(halves, min_size=size, max_size=size))
            staffing[unit] = StaffingCurve(start, np.array(scheduled), np.array(forecast))
    return SlotQuery(
        attendees=attendees,
        facilitator=draw(people("coach", lo, hi)),
        window=window,
        now=now,
        duration=draw(st.sampled_from([15, 30, 45, 60])),
        limit=draw(st.integers(1, 12)),
        staffing=staffing or None,
    )


def minutes(items) -> set[int]:
    return {m for item in items for m in range(item.start, item.end)}


def person_free(person: PersonSchedule, start: int, end: int) -> bool:
    slot = set(range(start, end))
    if slot & minutes(person.appointments):
        return False
    if person.shifts is not None:
        if not any(s.start <= start and end <= s.end for s in person.shifts):
            return False
        blocking = [a for a in person.activities if not a.interruptible or a.category in NEVER]
        if slot & minutes(blocking):
            return False
    return person.working_hours is None or slot <= minutes(person.working_hours)


def score(query: SlotQuery, start: int, end: int) -> tuple[float, float]:
    staffing = query.staffing or {}
    units = sorted({a.business_unit for a in query.attendees} & set(staffing))
    worst, total = None, 0.0
    for unit in units:
        curve, unit_total = staffing[unit], 0.0
        for interval in range(start, end, 15):
            index = (interval - curve.start) // 15
            if not 0 <= index < len(curve.scheduled):
                continue
            on_queue = sum(
                len(
                    set(range(interval, interval + 15))
                    & minutes(a for a in attendee.activities if a.category == "on_queue")
                )
                for attendee in query.attendees
                if attendee.business_unit == unit and attendee.shifts is not None
            )
            difference = (float(curve.scheduled[index]) - float(curve.forecast[index])) - (
                on_queue / 15
            )
            worst = difference if worst is None else min(worst, difference)
            unit_total += difference
        total += unit_total
    return (0.0 if worst is None else worst), total


def oracle(query: SlotQuery) -> list[tuple[int, float, float]] | None:
    """Every feasible (start, score, total), best first; None for an invalid query."""
    lo = max(query.window.start, query.now)
    hi = min(query.window.end, query.now + HORIZON_MINUTES)
    if query.window.end < query.window.start or hi <= lo:
        return None
    found = []
    for start in range(lo + (-lo) % 15, hi - query.duration + 1, 15):
        end = start + query.duration
        if all(person_free(p, start, end) for p in query.people):
            found.append((start, *score(query, start, end)))
    return sorted(found, key=lambda s: (-s[1], -s[2], s[0]))


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(queries())
def test_w3_w4_find_slots_and_check_slot_match_the_oracle(query):
    expected = oracle(query)
    if expected is None:
        with pytest.raises(InvalidQuery):
            find_slots(query)
        return
    result = find_slots(query)
    got = [(s.start, s.score, s.total) for s in result.slots]
    assert got == expected[: query.limit]
    assert result.feasible_count == len(expected)
    for slot in result.slots:
        assert slot.end == slot.start + query.duration
        assert slot.rating == (
            "good" if slot.score >= 1 else "neutral" if slot.score >= 0 else "poor"
        )
    feasible = {start for start, _, _ in expected}
    for start in range(result.window.start - 20, result.window.end + 20, 5):
        assert (check_slot(query, start) == []) == (start in feasible), start
