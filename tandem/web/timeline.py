"""Free/busy as compact SVG rows: one row per day of the viewer's week, one bar per stretch.

Shared by the slot finder (each attendee's shifts, breaks, meals, appointments: why a time is
missing, W4) and the team plan (each facilitator's sessions, W6). Bars are placed in the viewer's
wall clock, so a DST day still reads 09:00 at 09:00; a stretch over midnight is cut in two.
Only the hours where something happens (at least 08:00-18:00) are drawn, to keep the SVG small
and readable on a phone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tandem.domain.times import zone

# Busy time outside any shift or working hours: drawn pale, and not a reason to widen the axis.
BACKGROUND = frozenset({"off_shift", "outside_working_hours"})
DEFAULT_HOURS = (8, 18)
LABELS = {
    "free": "Free",
    "appointment": "Appointment",
    "time_off": "Time off",
    "meal": "Meal",
    "break": "Break",
    "training": "Training",
    "meeting": "Meeting",
    "unavailable": "Unavailable",
    "off_queue": "Off queue",
    "on_queue": "On queue",
    "off_shift": "Off shift",
    "outside_working_hours": "Outside working hours",
    "session": "Coaching session",
}


@dataclass(frozen=True)
class Stretch:
    """Something to draw: ``kind`` is ``free``, a busy reason, or ``session``."""

    start: datetime
    end: datetime
    kind: str
    note: str = ""


@dataclass(frozen=True)
class Bar:
    x: float
    """Minutes after the first drawn hour."""
    width: float
    kind: str
    title: str


@dataclass(frozen=True)
class Row:
    day: date
    label: str
    bars: list[Bar]


@dataclass(frozen=True)
class Timeline:
    name: str
    rows: list[Row]


@dataclass(frozen=True)
class Axis:
    first_hour: int
    last_hour: int

    @property
    def minutes(self) -> int:
        return (self.last_hour - self.first_hour) * 60

    def ticks(self) -> list[tuple[int, float]]:
        """(hour, percent across) for the hour labels under the rows."""
        every = 2 if self.last_hour - self.first_hour > 8 else 1
        return [
            (h, 100 * (h - self.first_hour) / (self.last_hour - self.first_hour))
            for h in range(self.first_hour, self.last_hour + 1, every)
        ]


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def _clock(minutes: float) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def _pieces(stretch: Stretch, tz: str) -> Iterable[tuple[date, float, float]]:
    """(local day, minutes after midnight at start, at end) per day the stretch touches."""
    tzinfo = zone(tz)
    start, end = stretch.start.astimezone(tzinfo), stretch.end.astimezone(tzinfo)
    while start < end:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=tzinfo)
        stop = min(end, midnight)
        until = 24 * 60 if stop == midnight else stop.hour * 60 + stop.minute
        yield start.date(), start.hour * 60 + start.minute, until
        start = stop


def axis(stretches: Iterable[Stretch], tz: str) -> Axis:
    """The hours worth drawing: those covered by anything but background or whole free days."""
    low, high = math.inf, -math.inf
    for stretch in stretches:
        if stretch.kind in BACKGROUND:
            continue
        for _, start, end in _pieces(stretch, tz):
            if stretch.kind == "free" and end - start >= 24 * 60:
                continue
            low, high = min(low, start), max(high, end)
    # Never narrower than a working day: a lone session still reads as a time of day.
    first, last = DEFAULT_HOURS
    if low <= high:
        first, last = min(first, int(low // 60)), max(last, math.ceil(high / 60))
    return Axis(first, last)


def days_of(start: datetime, end: datetime, tz: str) -> list[date]:
    first, last = start.astimezone(zone(tz)).date(), (end - timedelta(microseconds=1))
    last_day = last.astimezone(zone(tz)).date()
    return [first + timedelta(days=n) for n in range((last_day - first).days + 1)]


def timeline(
    name: str, stretches: Iterable[Stretch], days: list[date], tz: str, scale: Axis
) -> Timeline:
    rows: dict[date, list[Bar]] = {day: [] for day in days}
    lo, hi = scale.first_hour * 60, scale.last_hour * 60
    for stretch in stretches:
        for day, start, end in _pieces(stretch, tz):
            start, end = max(start, lo), min(end, hi)
            if day not in rows or end <= start:
                continue
            when = f"{day:%a %d %b} {_clock(start)} to {_clock(end)}"
            note = f" ({stretch.note})" if stretch.note else ""
            rows[day].append(
                Bar(start - lo, end - start, stretch.kind, f"{when} {label(stretch.kind)}{note}")
            )
    return Timeline(name, [Row(day, f"{day:%a %d}", bars) for day, bars in rows.items()])


def legend(timelines: Iterable[Timeline]) -> list[tuple[str, str]]:
    """(kind, label) for every kind drawn, in the order of LABELS."""
    seen = {bar.kind for t in timelines for row in t.rows for bar in row.bars}
    return [(kind, text) for kind, text in LABELS.items() if kind in seen]
