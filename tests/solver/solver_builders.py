"""Small builders for solver tests: times as "HH:MM" on a fixed Monday (2026-03-02, UTC)."""

from datetime import UTC, datetime

import numpy as np

from tandem.solver import (
    Activity,
    ActivityCategory,
    PersonSchedule,
    Span,
    StaffingCurve,
    to_minutes,
)

MONDAY = to_minutes(datetime(2026, 3, 2, tzinfo=UTC))
DAY = 24 * 60


def at(clock: str, day: int = 0) -> int:
    hours, minutes = clock.split(":")
    return MONDAY + day * DAY + int(hours) * 60 + int(minutes)


def span(start: str, end: str, day: int = 0) -> Span:
    return Span(at(start, day), at(end, day))


def activity(
    start: str,
    end: str,
    category: ActivityCategory | str,
    interruptible: bool = False,
    day: int = 0,
) -> Activity:
    return Activity(at(start, day), at(end, day), ActivityCategory(category), True, interruptible)


def on_queue(start: str, end: str, day: int = 0) -> Activity:
    return activity(start, end, ActivityCategory.ON_QUEUE, interruptible=True, day=day)


def person(person_id: str = "agent", **fields) -> PersonSchedule:
    return PersonSchedule(person_id=person_id, **fields)


def curve(start: str, scheduled: list[float], forecast: list[float]) -> StaffingCurve:
    return StaffingCurve(at(start), np.array(scheduled, float), np.array(forecast, float))
