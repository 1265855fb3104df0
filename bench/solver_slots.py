"""Slot finder benchmark (DESIGN.md performance budget): prints p50/p95, not a test.

    python bench/solver_slots.py [--runs N]

Synthetic but realistic WFM data: weekday shifts, about 20 busy blocks per working day for each
agent (breaks, meal, meetings, training, non-interruptible off-queue work and appointments, with
on-queue work in between), a facilitator with working hours and a full diary, and a staffing curve
with two daily peaks. The data builders are reused by ``bench/solver_plan.py``.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tandem.solver import (
    Activity,
    ActivityCategory,
    PersonSchedule,
    SlotQuery,
    Span,
    StaffingCurve,
    find_slots,
    to_minutes,
)
from tandem.solver.minutes import HORIZON_MINUTES

DAY = 24 * 60
NOW = to_minutes(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # a Monday, 06:00 UTC
# (category, minimum length, maximum length, interruptible) of the busy blocks in an agent's day.
BUSY_BLOCKS = tuple(
    [(ActivityCategory.BREAK, 15, 15, False)] * 2
    + [(ActivityCategory.MEAL, 30, 45, False)]
    + [(ActivityCategory.MEETING, 10, 30, False)] * 3
    + [(ActivityCategory.TRAINING, 15, 30, False)] * 2
    + [(ActivityCategory.OFF_QUEUE, 5, 10, False)] * 10
)
APPOINTMENTS_PER_DAY = 2


def agent(
    person_id: str,
    unit: str,
    days: int,
    rng: random.Random,
    busy_blocks: tuple = BUSY_BLOCKS,
    appointments_per_day: int = APPOINTMENTS_PER_DAY,
) -> PersonSchedule:
    """Weekday shifts of 8.5-9 h with ~20 busy blocks a day and on-queue work in between."""
    shifts, activities, appointments = [], [], []
    day0 = NOW - NOW % DAY
    for day in range(days):
        if (3 + day) % 7 in (5, 6):  # 1970-01-01 was a Thursday: weekday index 5, 6 = Sat, Sun
            continue
        start = day0 + day * DAY + rng.randrange(7 * 60, 9 * 60 + 1, 15)
        end = start + rng.choice((510, 540))
        shifts.append(Span(start, end))
        blocks = [(c, rng.randrange(lo, hi + 1, 5), i) for c, lo, hi, i in busy_blocks]
        blocks += [("appointment", rng.choice((15, 30)), False)] * appointments_per_day
        rng.shuffle(blocks)
        slack = (end - start) - sum(length for _, length, _ in blocks)
        cuts = sorted(rng.randrange(0, max(slack, 1), 5) for _ in blocks)
        cursor, used = start, 0
        for (category, length, interruptible), cut in zip(blocks, cuts, strict=True):
            if cut > used:
                activities.append(
                    Activity(cursor, cursor + cut - used, ActivityCategory.ON_QUEUE, True, True)
                )
                cursor += cut - used
                used = cut
            if category == "appointment":
                appointments.append(Span(cursor, cursor + length))
                activities.append(
                    Activity(cursor, cursor + length, ActivityCategory.ON_QUEUE, True, True)
                )
            else:
                activities.append(Activity(cursor, cursor + length, category, True, interruptible))
            cursor += length
        if cursor < end:
            activities.append(Activity(cursor, end, ActivityCategory.ON_QUEUE, True, True))
    return PersonSchedule(
        person_id=person_id,
        appointments=appointments,
        shifts=shifts,
        activities=activities,
        business_unit=unit,
    )


def facilitator(
    person_id: str, days: int, rng: random.Random, per_day: int = 6, time_zone: str = "UTC"
) -> PersonSchedule:
    """No WFM data; weekday working hours 08:00-18:00 UTC and ``per_day`` appointments."""
    hours, appointments = [], []
    day0 = NOW - NOW % DAY
    for day in range(days):
        if (3 + day) % 7 in (5, 6):
            continue
        open_at = day0 + day * DAY + 8 * 60
        hours.append(Span(open_at, open_at + 10 * 60))
        for _ in range(per_day):
            start = open_at + rng.randrange(0, 10 * 60, 15)
            appointments.append(Span(start, start + rng.choice((15, 30, 30, 45))))
    return PersonSchedule(
        person_id=person_id, appointments=appointments, working_hours=hours, time_zone=time_zone
    )


def staffing_curve(days: int, rng: random.Random, base: float = 20.0) -> StaffingCurve:
    """Two daily peaks; scheduled headcount wobbles a few heads around the forecast."""
    start = NOW - NOW % DAY
    quarter = np.arange(days * 96) % 96
    hour = quarter / 4
    forecast = base * (
        0.3 + np.exp(-(((hour - 10.5) / 1.8) ** 2)) + 0.8 * np.exp(-(((hour - 15) / 2) ** 2))
    )
    noise = np.array([rng.choice((-3, -2, -1, 0, 1, 2, 3, 4)) for _ in quarter], dtype=float)
    return StaffingCurve(start, np.round(forecast) + noise, np.round(forecast, 1))


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1e3:6.2f} ms   p95 {p95 * 1e3:6.2f} ms"


def bench(label: str, query: SlotQuery, runs: int) -> None:
    find_slots(query)  # warm caches and imports
    plain, with_segments = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = find_slots(query)
        t1 = time.perf_counter()
        segments = sum(len(schedule.segments()) for schedule in result.schedules.values())
        t2 = time.perf_counter()
        plain.append(t1 - t0)
        with_segments.append(t2 - t0)
    print(f"{label}")
    print(f"  find_slots                     {_percentiles(plain)}")
    print(f"  + free/busy as {segments:5d} objects  {_percentiles(with_segments)}")
    print(
        f"  {result.feasible_count} feasible starts; best: "
        f"{[(s.rating.value, round(s.score, 2)) for s in result.slots[:3]]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed queries per case")
    args = parser.parse_args()
    rng = random.Random(7)
    days = HORIZON_MINUTES // DAY + 1
    staffing = {"sales": staffing_curve(days, rng)}
    coach = facilitator("coach", days, rng)
    agents = [agent(f"agent-{i}", "sales", days, rng) for i in range(5)]
    window = Span(NOW, NOW + HORIZON_MINUTES)
    blocks = sum(1 for a in agents[0].activities if a.category != ActivityCategory.ON_QUEUE) + len(
        agents[0].appointments
    )
    print(f"agent-0: {len(agents[0].shifts)} shifts, {blocks} busy blocks over 6 weeks")
    for count, duration in ((1, 30), (1, 60), (5, 30), (5, 15)):
        query = SlotQuery(agents[:count], coach, window, NOW, duration, 10, staffing)
        label = f"{count} attendee(s) + facilitator, 6 weeks, {duration} min, top 10"
        bench(label, query, args.runs)


if __name__ == "__main__":
    main()
