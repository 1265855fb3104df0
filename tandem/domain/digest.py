"""When the weekly digest goes out (SPEC N4): Sunday 18:00 in each recipient's own zone.

One workflow serves everyone. It wakes every quarter of an hour while it is Sunday 18:00
somewhere on Earth (Sunday 04:00 UTC in UTC+14 to Monday 06:00 UTC in UTC-12; every zone's
offset is a whole number of quarter-hours) and sends the digests that fell due since its last
wake. A user who moves zone needs nothing re-timed, and a worker that was down catches up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from tandem.domain.times import zone

SEND_AT = time(18, 0)
SUNDAY = 6
TICK = timedelta(minutes=15)
# The span of UTC instants at which some zone reaches Sunday 18:00.
WINDOW_OPENS = timedelta(days=6, hours=4)  # after Monday 00:00 UTC: Sunday 04:00 UTC
WINDOW_CLOSES = timedelta(days=7, hours=6)  # Monday 06:00 UTC


def _monday_utc(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def floor_tick(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % 15)


def next_tick(after: datetime) -> datetime:
    """The first quarter-hour after ``after`` at which a digest may be due somewhere."""
    candidate = floor_tick(after) + TICK
    for monday in (_monday_utc(candidate) - timedelta(days=7), _monday_utc(candidate)):
        opens, closes = monday + WINDOW_OPENS, monday + WINDOW_CLOSES
        if candidate <= closes:
            return max(candidate, opens)
    return _monday_utc(candidate) + timedelta(days=7) + WINDOW_OPENS


def window_closes(tick: datetime) -> bool:
    """Whether ``tick`` is the last of a Sunday window (a good moment to continue as new)."""
    return next_tick(tick) - tick > TICK


@dataclass(frozen=True)
class DueWeek:
    """A zone whose Sunday 18:00 fell in the interval: its users get the week in [start, end)."""

    timezone: str
    send_at: datetime
    start: datetime
    end: datetime


def due_weeks(timezones: set[str], since: datetime, until: datetime) -> list[DueWeek]:
    due = []
    for name in sorted(timezones):
        tz = zone(name)
        local_until = until.astimezone(tz)
        sunday = local_until.date() - timedelta(days=(local_until.weekday() - SUNDAY) % 7)
        send_local = datetime.combine(sunday, SEND_AT, tzinfo=tz)
        if send_local > local_until:
            sunday -= timedelta(days=7)
            send_local = datetime.combine(sunday, SEND_AT, tzinfo=tz)
        send_at = send_local.astimezone(UTC)
        if since < send_at <= until:
            monday = sunday - timedelta(days=6)
            start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
            end = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
            due.append(DueWeek(name, send_at, start, end))
    return due
