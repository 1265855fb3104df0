"""Demo WFM data for ``tandem up --demo`` (SPEC W1): realistic contact-centre weeks.

Per agent, Monday to Friday, shifts on rotating patterns (08:00-16:30, 10:00-18:30,
09:00-17:30, in the business unit's zone) with two paid 15-minute breaks and an unpaid 30- or
60-minute meal; a weekly team meeting (Wednesday 11:00-11:45) for everyone on shift; an hour of
training for one agent a week; half an hour of interruptible off-queue work (e-mail) on Fridays;
one agent's Thursday as paid time off; on-queue (interruptible) fills the rest of every shift.
Staffing: forecast and scheduled headcount per 15 minutes, 07:00-21:00 on weekdays and
08:00-14:00 on Saturdays, with a morning and an afternoon peak where the forecast sometimes
exceeds what is scheduled. Everything is seeded by business unit and week, so the same call
gives the same data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tandem.domain.times import zone
from tandem.domain.wfm import INTERVAL
from tandem.store import wfm

PATTERNS = ((time(8), time(16, 30)), (time(10), time(18, 30)), (time(9), time(17, 30)))
TEAM_MEETING = (2, time(11), timedelta(minutes=45))  # Wednesday
TRAINING = (1, time(15), timedelta(hours=1))  # Tuesday
OFF_QUEUE = (4, time(13, 30), timedelta(minutes=30))  # Friday
TIME_OFF_DAY = 3  # Thursday
OPEN_HOURS = {d: (time(7), time(21)) for d in range(5)} | {5: (time(8), time(14))}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def this_week(timezone: str, now: datetime | None = None) -> date:
    """The Monday of the current week in the business unit's zone."""
    return monday((now or datetime.now(UTC)).astimezone(zone(timezone)).date())


def _rng(*parts: object) -> random.Random:
    return random.Random("/".join(map(str, ("tandem-demo", *parts))))


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _activity(
    start: datetime, end: datetime, category: str, *, paid: bool = True, interruptible: bool = False
) -> dict[str, Any]:
    return {
        "starts_at": start,
        "ends_at": end,
        "category": category,
        "paid": paid,
        "interruptible": interruptible,
    }


def _place(
    taken: list[tuple[datetime, datetime]],
    wanted: datetime,
    length: timedelta,
    shift: tuple[datetime, datetime],
) -> tuple[datetime, datetime] | None:
    """The first free stretch of ``length`` from ``wanted`` on (15-minute steps) in the shift."""
    start = wanted
    while start + length <= shift[1]:
        end = start + length
        if all(_utc(end) <= _utc(a) or _utc(b) <= _utc(start) for a, b in taken):
            return start, end
        start += timedelta(minutes=15)
    return None


def _shift(
    day: date, pattern: tuple[time, time], tz: ZoneInfo, rng: random.Random, extras: list[dict]
) -> dict[str, Any]:
    begin, finish = _at(day, pattern[0], tz), _at(day, pattern[1], tz)
    activities = list(extras)
    taken = [(a["starts_at"], a["ends_at"]) for a in activities]
    jitter = timedelta(minutes=15 * rng.randint(0, 2))
    meal_length = timedelta(minutes=rng.choice((30, 60)))
    for category, wanted, length, paid in (
        ("break", begin + timedelta(hours=2) + jitter, timedelta(minutes=15), True),
        ("meal", begin + timedelta(hours=4) + jitter, meal_length, False),
        ("break", finish - timedelta(hours=2) - jitter, timedelta(minutes=15), True),
    ):
        spot = _place(taken, wanted, length, (begin, finish))
        if spot is not None:
            taken.append(spot)
            activities.append(_activity(*spot, category, paid=paid))
    # On queue, interruptible, fills every gap.
    cursor = begin
    for a, b in sorted(taken, key=lambda span: _utc(span[0])):
        if _utc(a) > _utc(cursor):
            activities.append(_activity(cursor, a, "on_queue", interruptible=True))
        cursor = max(cursor, b, key=_utc)
    if _utc(cursor) < _utc(finish):
        activities.append(_activity(cursor, finish, "on_queue", interruptible=True))
    activities.sort(key=lambda a: _utc(a["starts_at"]))
    return {"starts_at": begin, "ends_at": finish, "activities": activities}


def _fixed(day: date, rule: tuple[int, time, timedelta], tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = _at(day, rule[1], tz)
    return start, start + rule[2]


def _covers(shift: tuple[datetime, datetime], block: tuple[datetime, datetime]) -> bool:
    return _utc(shift[0]) <= _utc(block[0]) and _utc(block[1]) <= _utc(shift[1])


def demo_schedule(
    agent_ids: Sequence[str], business_unit: str, timezone: str, week_start: date
) -> dict[str, Any]:
    """One week of schedules in the import shape (``PUT /v1/wfm/schedules``); ``week_start`` is
    moved back to its Monday. Times are local to ``timezone``, with their offsets."""
    tz = zone(timezone)
    week = monday(week_start)
    ordinal = week.toordinal() // 7
    rng = _rng(business_unit, week.isoformat())
    count = max(len(agent_ids), 1)
    trainee = ordinal % count
    away = (ordinal + 1) % count
    agents = []
    for index, agent_id in enumerate(agent_ids):
        pattern = PATTERNS[(index + ordinal) % len(PATTERNS)]
        shifts = []
        for weekday in range(5):
            day = week + timedelta(days=weekday)
            span = (_at(day, pattern[0], tz), _at(day, pattern[1], tz))
            if index == away and weekday == TIME_OFF_DAY and len(agent_ids) > 1:
                off = _activity(*span, "time_off")
                shifts.append({"starts_at": span[0], "ends_at": span[1], "activities": [off]})
                continue
            extras = []
            for rule, category, interruptible, who in (
                (TEAM_MEETING, "meeting", False, None),
                (TRAINING, "training", False, trainee),
                (OFF_QUEUE, "off_queue", True, None),
            ):
                if rule[0] != weekday or who not in (None, index):
                    continue
                block = _fixed(day, rule, tz)
                if _covers(span, block):
                    extras.append(_activity(*block, category, interruptible=interruptible))
            shifts.append(_shift(day, pattern, tz, rng, extras))
        agents.append({"agent_id": agent_id, "shifts": shifts})
    return _json(
        {
            "business_unit": business_unit,
            "timezone": timezone,
            "week_start": week,
            "agents": agents,
        }
    )


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2) / 2)


def demo_staffing(business_unit: str, timezone: str, week_start: date) -> dict[str, Any]:
    """One week of staffing in the import shape (``PUT /v1/wfm/staffing``)."""
    tz = zone(timezone)
    week = monday(week_start)
    rng = _rng("staffing", business_unit, week.isoformat())
    day_factor = {0: 1.15, 1: 1.05, 2: 1.0, 3: 1.0, 4: 0.9, 5: 0.5}
    intervals = []
    for weekday, (opens, closes) in OPEN_HOURS.items():
        day = week + timedelta(days=weekday)
        at, end = _utc(_at(day, opens, tz)), _utc(_at(day, closes, tz))
        while at < end:
            local = at.astimezone(tz)
            hour = local.hour + local.minute / 60 + 7.5 / 60
            shape = 0.3 + 0.7 * _bump(hour, 10.5, 1.4) + 0.55 * _bump(hour, 14.5, 1.6)
            forecast = 20 * day_factor[weekday] * shape * rng.uniform(0.92, 1.08)
            # Rostered heads follow a flatter curve than demand: short at the peaks.
            planned = 20 * day_factor[weekday] * (0.45 + 0.45 * _bump(hour, 12.5, 3.0))
            scheduled = max(0, round(planned + rng.uniform(-1.5, 1.5)))
            intervals.append(
                {
                    "starts_at": at.astimezone(tz),
                    "forecast": round(forecast, 1),
                    "scheduled": scheduled,
                }
            )
            at += INTERVAL
    return _json({"business_unit": business_unit, "timezone": timezone, "intervals": intervals})


def _json(value: Any) -> Any:
    """Dates and date-times as ISO-8601 strings, so the result is plain JSON."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def load_demo(
    session: Session,
    agent_ids: Sequence[str],
    business_unit: str,
    timezone: str,
    first_week: date,
    *,
    weeks: int = 2,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Import ``weeks`` weeks of demo schedules and staffing from ``first_week`` (its Monday)
    through the same code as the API; the import summaries."""
    moment = now or datetime.now(UTC)
    summaries = []
    for offset in range(weeks):
        week = monday(first_week) + timedelta(weeks=offset)
        schedule = demo_schedule(agent_ids, business_unit, timezone, week)
        summaries.append(wfm.replace_schedule(session, schedule, moment).summary())
        staffing = demo_staffing(business_unit, timezone, week)
        summaries.append(wfm.replace_staffing(session, staffing, moment).summary())
    return summaries
